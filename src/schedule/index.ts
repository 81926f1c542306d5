/** Scheduled tasks: a daily timer, and leases so a task runs on one instance at a time. */
export { acquireLease, releaseLease, renewLease, type LeaseHeld } from './lease';
export { msUntilNext, startDailyTask, type DailyTask, type DailyTaskOptions } from './daily';
