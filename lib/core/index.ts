export * from './constants';
export * from './key-policy';
export * from './validation';
export * from './handler-code';
export * from './controls';
export * from './stack-limits';
export * from './acknowledgements';
export * from './cluster-members';
