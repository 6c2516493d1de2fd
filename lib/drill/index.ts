export * from './drill-discovery';
export * from './drill-resource-type';
export * from './drill-tags';
export * from './drill-target';
export * from './poll-schedule';
export * from './restore-drill';
export * from './native-restore-testing';
export * from './drill-network';
