"""Pure domain layer: models, rules, events and the ports storage must satisfy. No I/O."""
