// Public API of lib/nag (filled in by its issue).
export {};
