export * from './drill-resource-type';
export * from './drill-target';
export * from './poll-schedule';
export * from './restore-drill';
