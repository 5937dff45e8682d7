"""Reading history back for people who must trust it: the promotion gate, the
portfolio, the quarterly report and the OSCAL export."""
