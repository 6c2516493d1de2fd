export * from './assembly';
export * from './checklist';
export * from './report';
export * from './markdown';
export * from './runbook';
export { main as reportCli, writeReport, REPORT_FILES } from './cli';
