"""The bank's side: placement and recall, allocation to agencies, second placements, follow-up."""
