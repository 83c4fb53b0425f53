"""The portfolio of placed accounts, as columns (numpy arrays), and how it is drawn."""
