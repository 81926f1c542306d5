/**
 * The hand-written parts of the financial-planning plan: personas, topics, emotional arcs, tiers and
 * templates. build-plan.ts lays the 100 conversations out over them; keeping the prose here keeps that
 * script short.
 */

export const DATASET = {
  name: 'LoRA Financial Planning Training Dataset',
  vertical: 'financial_planning_consultant',
  consultant: 'Elena Morales, CFP - Pathways Financial Planning',
  total_conversations: 100,
  seed_conversations: 10,
};

export const PERSONAS = [
  {
    key: 'marcus', persona_type: 'Marcus', persona_name: 'Marcus Thompson',
    description: 'Marcus Thompson, 32, senior software engineer at a public tech company. High income ($185k base plus RSUs) but financially overwhelmed: equity compensation, a 401(k) he never rebalanced and tax forms he does not understand. Smart and analytical, embarrassed that he "should know this by now", prone to avoidance and late-night research spirals. Wants plain explanations and a clear next step, not a lecture.',
  },
  {
    key: 'jennifer', persona_type: 'Jennifer', persona_name: 'Jennifer Martinez',
    description: 'Jennifer Martinez, 41, recently divorced mother of two and an operations manager. Rebuilding finances on a single income after years in which her ex-spouse handled the money. Carries shame about "not paying attention" and anxiety about the children\'s future, the house and retirement. Conscientious and detail-oriented once she feels safe; needs validation, patience and steady confidence-building.',
  },
  {
    key: 'david', persona_type: 'David', persona_name: 'David Chen',
    description: 'David Chen, 29, high-school teacher, newly married to Priya (a nurse). Carries $48k of student loans and a modest emergency fund; the couple disagree about paying debt down versus investing and saving for a home. Optimistic, values-driven, a little skeptical of the financial industry; wants advice that respects public-service income and a plan both partners can agree on.',
  },
  {
    key: 'mixed', persona_type: 'Mixed', persona_name: 'Mixed persona',
    description: 'A client who combines traits of two core personas (named in the conversation\'s blend), used to widen the distribution beyond the three archetypes: different ages, incomes, family situations and levels of financial knowledge while keeping the same emotional realism.',
  },
];

export const TOPICS = [
  { key: 'rsu_confusion', category: 'RSUs confusion', description: 'Does not understand RSU vesting, withholding and the tax due at sale; unsure whether to hold or sell vested shares.' },
  { key: 'espp_and_concentration', category: 'Employer stock concentration', description: 'A large share of net worth is in one employer\'s stock through RSUs and ESPP; fears selling and fears not selling.' },
  { key: 'retirement_catch_up', category: 'Behind on retirement', description: 'Compares himself to peers, believes he started too late and cannot catch up.' },
  { key: 'tax_surprise', category: 'Unexpected tax bill', description: 'A tax bill far larger than expected, usually from under-withholding on equity or side income.' },
  { key: 'debt_shame', category: 'Debt shame', description: 'Credit-card or personal debt the client hides from others and feels defined by.' },
  { key: 'post_divorce_rebuild', category: 'Post-divorce financial rebuild', description: 'Taking over finances after divorce: budget, accounts, beneficiary changes, a new baseline.' },
  { key: 'college_saving', category: 'Saving for children\'s college', description: 'Balancing 529 contributions against retirement and feeling guilty about either choice.' },
  { key: 'keep_the_house', category: 'Keeping the family home', description: 'Whether the house is affordable on one income and what keeping it costs in other goals.' },
  { key: 'student_loans', category: 'Student loan strategy', description: 'Public Service Loan Forgiveness, income-driven repayment, refinancing, and what to prioritise.' },
  { key: 'couple_money_conflict', category: 'Couple money disagreements', description: 'Partners who disagree on debt payoff, saving, spending or how to combine finances.' },
  { key: 'first_home', category: 'First home purchase', description: 'Down payment, affordability and timing on a modest income.' },
  { key: 'emergency_fund', category: 'Emergency fund basics', description: 'How much to keep, where to keep it, and rebuilding it after it was used.' },
  { key: 'investing_start', category: 'Starting to invest', description: 'Fear of the market, index funds versus picking stocks, getting started with small amounts.' },
  { key: 'windfall', category: 'Windfall decisions', description: 'An inheritance, bonus or settlement and the pressure of using it well.' },
  { key: 'caring_for_parents', category: 'Supporting aging parents', description: 'Helping parents financially while protecting one\'s own goals.' },
  { key: 'job_loss', category: 'Job loss or income drop', description: 'A layoff or pay cut: cash flow, benefits, what to pause and what to protect.' },
  { key: 'insurance_gaps', category: 'Insurance and protection', description: 'Life and disability cover for a young family, what is enough, what is a sales pitch.' },
  { key: 'scam_or_hype', category: 'Hype and scams', description: 'Crypto, "guaranteed" returns or a friend\'s investment pitch; excitement mixed with doubt.' },
];

export const ARCS = [
  { key: 'confusion_to_clarity', starting_emotion: 'Confusion', starting_intensity: 0.7, ending_emotion: 'Clarity', ending_intensity: 0.75, description: 'From not understanding a financial concept to a clear mental model and one concrete next step.' },
  { key: 'shame_to_acceptance', starting_emotion: 'Shame', starting_intensity: 0.8, ending_emotion: 'Acceptance', ending_intensity: 0.65, description: 'From hiding or self-blame about money to accepting the situation as a starting point, without judgment.' },
  { key: 'anxiety_to_confidence', starting_emotion: 'Anxiety', starting_intensity: 0.75, ending_emotion: 'Confidence', ending_intensity: 0.7, description: 'From worry about the future to confidence grounded in a plan the client understands.' },
  { key: 'frustration_to_empowerment', starting_emotion: 'Frustration', starting_intensity: 0.7, ending_emotion: 'Empowerment', ending_intensity: 0.7, description: 'From frustration with a situation, a partner or the system to a sense of agency and options.' },
  { key: 'fear_to_hope', starting_emotion: 'Fear', starting_intensity: 0.8, ending_emotion: 'Hope', ending_intensity: 0.6, description: 'From fear of a crisis or loss to realistic hope and a protective first step.' },
  { key: 'guilt_to_self_compassion', starting_emotion: 'Guilt', starting_intensity: 0.7, ending_emotion: 'Self-compassion', ending_intensity: 0.6, description: 'From guilt about past choices or trade-offs to self-compassion and a forward-looking decision.' },
  { key: 'skepticism_to_trust', starting_emotion: 'Skepticism', starting_intensity: 0.6, ending_emotion: 'Trust', ending_intensity: 0.6, description: 'From distrust of advice or the industry to trust earned by transparency and no sales pressure.' },
  { key: 'excitement_to_grounded', starting_emotion: 'Excitement', starting_intensity: 0.8, ending_emotion: 'Grounded', ending_intensity: 0.65, description: 'From impulsive excitement to a grounded decision that keeps the upside and limits the risk.' },
];

export const TIERS = [
  { tier: 'tier1_template', label: 'Tier 1: Template', planned_count: 40, description: 'Template conversations: one of five canonical emotional arcs (Templates A-E), modelled closely on the seed examples, varying persona, topic and details.' },
  { tier: 'tier2_scenario', label: 'Tier 2: Scenario', planned_count: 35, description: 'Scenario conversations: realistic, multi-factor financial situations (life transitions, couples, complex decisions) with mixed emotions that shift over the conversation.' },
  { tier: 'tier3_edge', label: 'Tier 3: Edge', planned_count: 15, description: 'Edge cases: crisis and distress, requests outside Elena\'s scope, hostility or manipulation, and hype, where the right response protects the client and holds a boundary.' },
];
