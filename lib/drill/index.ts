// Public API of lib/drill (filled in by its issue).
export {};
