"""Contact rules: the rule book that says whether a contact may happen, and its history."""
