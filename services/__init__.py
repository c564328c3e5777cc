"""Use cases: one async function per operation. Load through the ports, apply rules, save, emit."""
