export * from './audit-names';
export * from './log-retention';
export * from './data-event-selectors';
export * from './data-access-trail';
export * from './data-access-alarms';
export * from './audit-log-archive';
export * from './management-events-trail';
