export * from './constants';
export * from './key-policy';
export * from './validation';
export * from './handler-code';
export * from './controls';
export * from './stack-limits';
