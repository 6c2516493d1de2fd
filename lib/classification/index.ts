export * from './data-classification';
export * from './protection-policy';
export * from './classify';
