// Public API of lib/audit (filled in by its issue).
export {};
