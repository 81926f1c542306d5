/**
 * Keyword and phrase rules: the cheap, explainable first pass of intent prediction. A strong phrase
 * ("no-call/no-show", "written warning") is nearly unambiguous; a weaker keyword ("late", "shift")
 * often is not, so it scores lower and a message with only weak or competing hits lands in review.
 */
import type { IntentId } from './topics';

/** One rule: a pattern that, when found in a message, points at a topic. */
export interface IntentRule {
  /** topic.rule, stored as rule_name so a reviewer can see which rule fired. */
  name: string;
  topic: Exclude<IntentId, 'other'>;
  pattern: RegExp;
  confidence: number;
}

/** The rules' verdict on a message. */
export interface RuleMatch {
  intent: IntentId;
  confidence: number;
  /** The best rule of the winning topic. */
  ruleName: string;
}

const STRONG = 0.9;
const WEAK = 0.7;
/** Each further distinct rule of the same topic adds a little, up to MAX_SCORE. */
const EXTRA_HIT_BONUS = 0.03;
const MAX_SCORE = 0.95;
/** Two topics whose scores are this close make the message ambiguous. */
const CLOSE_GAP = 0.1;
/** How much an ambiguous message loses: enough to fall under the review threshold (0.7). */
const AMBIGUITY_PENALTY = 0.25;
const MIN_AMBIGUOUS = 0.4;

type Topic = IntentRule['topic'];
const rule = (topic: Topic, name: string, pattern: RegExp, confidence = STRONG): IntentRule => ({
  name: `${topic}.${name}`,
  topic,
  pattern,
  confidence,
});

// Case-insensitive unless an acronym would otherwise match ordinary words (OT, ADA).
export const INTENT_RULES: readonly IntentRule[] = [
  rule('attendance', 'no_call_no_show', /\bno[- ]?call\b|\bno[- ]?shows?\b/i),
  rule('attendance', 'did_not_show', /\b(?:didn'?t|did not|never|doesn'?t|does not|won'?t|hasn'?t|has not) (?:show|turn|come|came)(?:ed)?(?: up| in)?\b|\bghosted\b/i),
  rule('attendance', 'left_early', /\bwalk(?:ed|s|ing)? (?:out|off)\b|\bleft (?:\w+ ){0,3}early\b|\bleav(?:e|es|ing) early\b/i),
  rule('attendance', 'tardiness', /\btard(?:y|ies|iness)\b|\b(?:comes?|coming|came|shows?|showing|showed|arrives?|arriving|arrived|clock(?:s|ed)? in|running) (?:in |up )?late\b/i),
  rule('attendance', 'absence', /\babsen(?:t|ces?|teeism)\b|\battendance\b/i),
  rule('attendance', 'call_out', /\bcall(?:s|ed|ing)?[- ]?(?:out|in sick)\b|\bcall-?outs?\b/i),
  rule('attendance', 'missed_shift', /\bmiss(?:ed|es|ing)? (?:\w+ ){0,2}shifts?\b|\bjob abandonment\b/i),
  rule('attendance', 'late', /\blate\b/i, WEAK),

  rule('scheduling', 'shift_swap', /\bshift[- ]?(?:swaps?|trades?)\b|\b(?:swap|trade)(?:s|ped|ping|d|ing)? (?:\w+ ){0,3}shifts?\b/i),
  rule('scheduling', 'coverage', /\bcoverage\b|\bcover (?:a|my|his|her|their|the|this|that|an?) ?(?:\w+ )?shifts?\b|\bpick(?:s|ed|ing)? up (?:\w+ )?shifts?\b/i),
  rule('scheduling', 'change_shift', /\b(?:change|move|cancel|cut|shorten|add)(?:s|d|ed|ing)? (?:a |her |his |their |the |someone'?s )?(?:\w+ )?shifts?\b|\bsend(?:ing)? (?:\w+ )?home early\b|\bcut (?:\w+ )?hours\b|\b(?:shift|schedule)s? (?:that'?s |that is )?(?:already )?posted\b/i),
  rule('scheduling', 'schedule_change', /\bschedul(?:e|ing) (?:changes?|conflicts?|requests?)\b|\b(?:posted|weekly|work) schedules?\b|\bclopen(?:ing)?s?\b|\bdouble shifts?\b/i),
  rule('scheduling', 'swap', /\bswap(?:s|ped|ping)?\b/i, WEAK),
  rule('scheduling', 'schedule', /\bschedul(?:e|es|ed|ing)\b|\brota\b|\broster\b|\bon[- ]call\b/i, WEAK),
  rule('scheduling', 'shift', /\bshifts?\b|\bcover\b/i, WEAK),

  rule('leave', 'pto', /\bPTO\b|\bvacation\b|\bpaid time off\b/i),
  rule('leave', 'fmla', /\bFMLA\b|\bleaves? of absence\b|\bLOA\b|\bon leave\b/i),
  rule('leave', 'kind_of_leave', /\b(?:medical|maternity|paternity|parental|family|bereavement|military|unpaid|sick) leave\b|\bbereavement\b|\bjury duty\b/i),
  rule('leave', 'sick_time', /\bsick (?:time|days?|pay|hours)\b/i),
  rule('leave', 'medical_absence', /\bsurgery\b|\bout (?:for )?(?:\d+|a few|several|two|three|four|five|six|a couple of) (?:days|weeks|months)\b|\bmedical (?:leave|reasons?)\b/i),
  rule('leave', 'time_off', /\btime off\b|\bdays? off\b|\bleave\b/i, WEAK),

  rule('discipline', 'progressive', /\bprogressive discipline\b|\bdisciplin(?:e|ary|ed|ing)\b/i),
  rule('discipline', 'warning', /\b(?:verbal|written|final) warnings?\b|\bwrite[- ]?ups?\b|\bwritten up\b|\bwrit(?:e|ing) (?:him|her|them|someone|an employee) up\b/i),
  rule('discipline', 'performance', /\bPIP\b|\bperformance (?:improvement plan|issues?|problems?|concerns?|reviews?|management)\b|\bunderperform\w*|\bpoor performance\b/i),
  rule('discipline', 'coaching_conversation', /\bcoaching (?:conversation|session|plan|talk)s?\b/i),
  rule('discipline', 'coaching', /\bcoaching\b|\bwarnings?\b|\bsuspen(?:d|ded|sion)\b/i, WEAK),

  rule('harassment', 'harassment', /\bharass\w*|\bsexual(?:ly)? (?:comments?|advances?|jokes?|remarks?)\b|\bunwanted (?:advances?|attention|touching|contact)\b/i),
  rule('harassment', 'discrimination', /\bdiscriminat\w*|\b(?:racist|sexist|homophobic|transphobic) (?:\w+ )?(?:comments?|jokes?|remarks?|language)\b|\bslurs?\b/i),
  rule('harassment', 'retaliation', /\bretaliat\w*|\bwhistle-?blow\w*|\bhostile (?:work )?environment\b/i),
  rule('harassment', 'bullying', /\bbull(?:y|ied|ies|ying)\b|\binappropriate(?:ly)? (?:comments?|touch\w*|jokes?|remarks?|texts?|messages?|photos?)\b/i),
  rule('harassment', 'complaint', /\bcomplain(?:t|ts|ed|ing)? (?:about|against) (?:a |her |his |their |my )?(?:manager|supervisor|coworker|co-worker|colleague|trainer)\b/i),
  rule('harassment', 'body_comments', /\bcomments? about (?:her|his|their|my|someone'?s) (?:body|looks|appearance|weight|chest|butt)\b|\bhow (?:she|he) looks\b|\bhitting on\b|\bcoming on to\b|\bflirt\w*/i),
  rule('harassment', 'sexual', /\bsexual\w*|\bexplicit\b|\bnudes?\b|\bgrop\w*|\bgrabbed (?:her|him|me)\b/i),
  rule('harassment', 'protected_characteristic', /\bbecause (?:she'?s|he'?s|they'?re|of (?:her|his|their)) (?:\w+ )?(?:muslim|jewish|christian|hindu|sikh|gay|lesbian|bi|trans\w*|black|white|asian|hispanic|latin\w*|old(?:er)?|young(?:er)?|age|race|religion|accent|disab\w*|pregnan\w*)\b/i),
  rule('harassment', 'investigation', /\binvestigat\w*/i, WEAK),
  rule('harassment', 'complaint_weak', /\bcomplain\w*|\buncomfortable\b/i, WEAK),

  rule('safety', 'injury', /\binjur\w*|\bworkers'? ?comp(?:ensation)?\b|\bincident reports?\b/i),
  rule('safety', 'slip_fall', /\bslip(?:s|ped|ping)?\b|\btrip(?:ped|ping)\b|\bwet floors?\b|\bfell (?:off|down|on|from)\b|\bleak\w*|\bspill\w*/i),
  rule('safety', 'threat', /\bthreat\w*|\bweapons?\b|\bguns?\b|\bknife\b|\bshov(?:ed|ing)\b|\bpunched (?:him|her|someone|a)\b/i),
  rule('safety', 'medical_emergency', /\bpassed out\b|\bcollaps\w*|\bfaint\w*|\bunconscious\b|\bseizure\b|\bcut (?:his|her|their|my) (?:hand|finger|arm|leg|head)\b|\bbleed\w*/i),
  rule('safety', 'hazard', /\bhazard\w*|\bunsafe\b|\bsafety\b|\bOSHA\b|\b(?:broken|faulty|damaged|frayed) (?:\w+ )?(?:equipment|treadmill|machine|cable|bench|rack)s?\b/i),
  rule('safety', 'accident', /\baccidents?\b|\bfirst aid\b|\bambulance\b|\bAED\b|\bconcussion\b/i),
  rule('safety', 'hurt', /\bhurt\b|\bfell\b|\bchemicals?\b/i, WEAK),

  rule('termination', 'terminate', /\bterminat\w*|\b(?:fire|firing|fired) (?:one|him|her|them|someone|somebody|an? \w+|my \w+|this \w+|that \w+|the \w+)\b|\bfired\b|\blet (?:\w+ ){0,2}go\b|\blay(?:ing)? ?offs?\b|\blaid off\b/i),
  rule('termination', 'resignation', /\bresign\w*|\bquit(?:s|ting)?\b|\btwo weeks'? notice\b|\bput in (?:his|her|their) notice\b/i),
  rule('termination', 'final_pay', /\bfinal (?:pay|paycheck|paychecks|check|wages)\b|\bexit interview\b/i),
  rule('termination', 'reference', /\breferences?\b/i),
  rule('termination', 'separation', /\bseparation\b|\boffboard\w*/i, WEAK),

  rule('pay', 'overtime', /\bovertime\b/i),
  rule('pay', 'time_clock', /\btime ?clock\b|\btime ?(?:cards?|sheets?)\b|\b(?:clock|punch)(?:s|ed|ing)? (?:in|out)\b|\bmissed punch\w*/i),
  rule('pay', 'payroll', /\bpayroll\b|\bpay ?(?:checks?|stubs?|rates?|periods?)\b|\bwages?\b|\bunderpaid\b|\bshort(?:ed)? on (?:his|her|their|my) (?:pay|check)\b|\bmissing (?:hours|pay)\b/i),
  rule('pay', 'breaks', /\b(?:meal|lunch|rest) breaks?\b/i),
  rule('pay', 'ot', /\bOT\b/, WEAK),
  rule('pay', 'pay', /\bpay\b|\bpaid\b|\bbreaks?\b|\braise\b|\bbonus(?:es)?\b|\bcommissions?\b/i, WEAK),

  rule('conduct', 'dress_code', /\bdress code\b|\buniforms?\b|\btattoos?\b|\bpiercings?\b|\bhygiene\b/i),
  rule('conduct', 'phones', /\b(?:on|using|uses|glued to) (?:his|her|their|the|a) (?:cell ?)?phones?\b|\bcell ?phones?\b|\bphone use\b/i),
  rule('conduct', 'social_media', /\bsocial media\b|\b(?:instagram|tiktok|facebook|twitter|snapchat)\b/i),
  rule('conduct', 'members', /\b(?:rude|yelled|yelling|argu(?:ed|ing)|snapped) (?:at|to|with) (?:a |the )?(?:member|client|customer|guest)s?\b|\bmember complaints?\b/i),
  rule('conduct', 'relationships', /\b(?:date|dating|dated) (?:a |one of |his |her |their |my )?(?:\w+ )?(?:clients?|members?|coworkers?|co-workers?|trainers?|employees?|staff|subordinates?|boss|manager)\b|\bdating\b|\bromantic(?:ally)?\b|\b(?:relationship|involved) with (?:a |an |her |his |their )?(?:coworker|co-worker|colleague|member|client|subordinate|employee|direct report)\b/i),
  rule('conduct', 'behaviour', /\bcode of conduct\b|\bunprofessional\b|\bprofanity\b|\bdrunk\b|\bsmell(?:s|ed)? (?:like|of) (?:alcohol|weed|marijuana)\b|\btheft\b|\bstealing\b|\bstole\b|\bconflict of interest\b/i),
  rule('conduct', 'conduct_weak', /\bphones?\b|\brude\b|\bposted\b|\bgossip\w*|\bswearing\b|\bcursing\b/i, WEAK),

  rule('accommodation', 'accommodation', /\baccommodat\w*|\bdisabilit\w*|\bdisabled\b|\bservice animal\b|\bwheelchair\b/i),
  rule('accommodation', 'ada', /\bADA\b/),
  rule('accommodation', 'pregnancy', /\bpregnan\w*|\blactation\b|\bpump(?:ing)?\b|\bbreast ?feed\w*|\bnursing mother\b/i),
  rule('accommodation', 'treatment', /\b(?:work|schedule|shifts?) around (?:his|her|their) (?:\w+ )?(?:treatments?|dialysis|chemo\w*|therapy|appointments?|doctor)\b/i),
  rule('accommodation', 'condition', /\b(?:medical )?condition\b|\bdialysis\b|\bchemo\w*/i, WEAK),
  rule('accommodation', 'religious', /\breligio\w*|\bprayer\b|\bsabbath\b|\bhijab\b|\bramadan\b|\bturban\b/i),
  rule('accommodation', 'restrictions', /\b(?:light|restricted|modified) duty\b|\b(?:work|medical|doctor'?s?) restrictions?\b|\blifting restrictions?\b/i),
];

/**
 * When two topics score the same, the one listed first wins: the higher-stakes policy, so a message
 * that mentions both an injury and a shift is handled with safety's care.
 */
const TIE_BREAK: readonly Topic[] = [
  'harassment', 'safety', 'accommodation', 'termination', 'discipline', 'leave', 'attendance', 'pay', 'conduct', 'scheduling',
];

interface TopicScore {
  topic: Topic;
  score: number;
  best: IntentRule;
}

interface Hit {
  rule: IntentRule;
  start: number;
  end: number;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** Whether `inner` lies within `outer` and is shorter: "paycheck" inside "final paycheck". */
const within = (inner: Hit, outer: Hit): boolean =>
  outer.start <= inner.start && inner.end <= outer.end && outer.end - outer.start > inner.end - inner.start;

/**
 * Scores each topic from its hits. A hit inside a longer phrase of another topic does not count (the
 * longer phrase is the more specific reading), and a topic's extra hits add to its score only when
 * they are about other words than its hits already counted.
 */
function scoreTopics(hits: readonly Hit[]): TopicScore[] {
  const kept = hits.filter((h) => !hits.some((o) => o.rule.topic !== h.rule.topic && within(h, o)));
  const byTopic = new Map<Topic, Hit[]>();
  for (const h of kept) byTopic.set(h.rule.topic, [...(byTopic.get(h.rule.topic) ?? []), h]);
  return [...byTopic].flatMap(([topic, topicHits]) => {
    const ordered = [...topicHits].sort((a, b) => b.rule.confidence - a.rule.confidence);
    const [first] = ordered;
    if (!first) return [];
    const counted: Hit[] = [];
    for (const h of ordered) if (!counted.some((c) => h.start < c.end && c.start < h.end)) counted.push(h);
    const best = first.rule;
    return [{ topic, best, score: Math.min(MAX_SCORE, best.confidence + EXTRA_HIT_BONUS * (counted.length - 1)) }];
  });
}

/** Typographic apostrophes and dashes become ASCII, so "didn’t" and "no‑call" match. */
function normalise(text: string): string {
  return text.normalize('NFKC').replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\u2010-\u2014]/g, '-');
}

/** The names of the rules that fire on a message (the topic model's rule features). */
export function ruleHitNames(text: string, rules: readonly IntentRule[] = INTENT_RULES): string[] {
  const message = normalise(text);
  return rules.filter((r) => r.pattern.test(message)).map((r) => r.name);
}

/**
 * Applies the rules. When several topics fire the best one wins; if the runner-up is close the
 * confidence drops, so the message goes to human review. Null when no rule fires.
 */
export function matchRules(text: string, rules: readonly IntentRule[] = INTENT_RULES): RuleMatch | null {
  const message = normalise(text);
  const hits: Hit[] = [];
  for (const r of rules) {
    const m = r.pattern.exec(message);
    if (m) hits.push({ rule: r, start: m.index, end: m.index + m[0].length });
  }
  if (hits.length === 0) return null;

  const scores = scoreTopics(hits);
  scores.sort((a, b) => b.score - a.score || TIE_BREAK.indexOf(a.topic) - TIE_BREAK.indexOf(b.topic));
  const [top, second] = scores as [TopicScore, ...TopicScore[]];
  const ambiguous = second !== undefined && top.score - second.score < CLOSE_GAP;
  const confidence = ambiguous ? Math.max(MIN_AMBIGUOUS, top.score - AMBIGUITY_PENALTY) : top.score;
  return { intent: top.topic, confidence: round2(confidence), ruleName: top.best.name };
}

/** Greetings, thanks and test messages: `other` whatever a retrieval guess would say. */
const SMALL_TALK = /^\s*(?:hi|hello|hey|yo|thanks?|thank you|thx|ty|test(?:ing)?|ok(?:ay)?|cool|great|got it|perfect|bye|good (?:morning|afternoon|evening))\b[\s\w,'!.?-]{0,30}$/i;

/** Whether a message is small talk rather than a question (short, opening with a greeting or thanks). */
export function isSmallTalk(text: string): boolean {
  return text.length <= 40 && SMALL_TALK.test(normalise(text));
}
