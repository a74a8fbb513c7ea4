"""The billing centre's ledger under random sequences of operations (docs/design.md §7): a
hypothesis state machine drives one standard account and checks every invariant after each
step, reading the database."""
