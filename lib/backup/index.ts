export * from './object-lock-bucket';
