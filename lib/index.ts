export * from './core';
export * from './classification';
export * from './keys';
export * from './backup';
export * from './topology';
