"""The steps of one day (DESIGN.md §3), one module each, in the order the model runs them:
`entry_exit`, `supply`, `content` (posting), `allocation`, `viewing`, `buying`,
`settlement`, `promotion`. A step takes what it needs and returns what it produced."""
