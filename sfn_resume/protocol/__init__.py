"""The hand-over protocol: the item's shapes, its conditions and updates as data, and the checker that explores them
(issue 22)."""
