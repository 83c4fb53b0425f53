"""What the model covers and what it leaves out — the one list every report prints.

Keep this list true: when a feature is added to the model, move its line from
:data:`NOT_MODELLED` to :data:`MODELLED` (the README's "What is not modelled" paragraph
summarises it). Each line is plain text a manager can read.
"""

from __future__ import annotations

MODELLED: tuple[str, ...] = (
    "Cardholders who fell behind for different reasons (segments: poor money management, "
    "income shock, misunderstood terms, or your own), each with its own balance, ability and "
    "willingness to pay, contactability, self-cure, dispute, complaint and promise keeping.",
    "Placement as one batch or a flow of vintages; allocation by fixed shares, "
    "champion/challenger, segment rules or performance-based re-allocation at reviews; "
    "transfer delay and wrong or missing phone numbers and e-mail addresses.",
    "Collectors working a prioritised call list in their shifts (SimPy), inbound callbacks "
    "queued with abandonment, SMS, e-mail and letter cadences.",
    "Contact rules (calls per 7 days, quiet days after a conversation, contact window, daily "
    "caps, cease requests, dispute holds, breathing space); every contact against a rule is "
    "counted as a violation, never silent.",
    "The delinquency lifecycle: statement cycles with minimum payments, past-due amounts, "
    "days past due and buckets, cures, roll-forward, re-ageing, and charge-off at 180 days "
    "past due with interest stopped; placements before or after charge-off.",
    "Reasons as mechanisms: income that returns after an unemployment-like spell, minimums "
    "beyond capacity usually missed, hardship programmes with a step-up, reminders for "
    "forgetful payers, misunderstandings that an explanation clears.",
    "A control group the bank keeps, for the counterfactual of every KPI.",
    "Conversations, negotiation (the past-due amount, a re-age plan or a hardship programme "
    "before charge-off; pay in full, settlement within authority, instalment plan, interest "
    "waiver after it), promises and instalments falling due, broken promises; interest "
    "accruing unless waived or charged off; money exact to the cent.",
    "Contingency fees (flat or tiered), expected-fee screening ('cherry-picking'), in-house "
    "teams' costs, complaints, lawsuits, fines and a customer-experience index.",
    "Recall after the placement, with accounts on a live plan reported apart; optionally a "
    "second placement of what is still owed with another agency, and a follow-up window "
    "after recall for re-default.",
    "Two borrower-response models: the stage model (default) and the Hawkes repayment model "
    "of Chehrazi & Weber.",
)

NOT_MODELLED: tuple[str, ...] = (
    "Legal placement and litigation started by the bank (lawsuits appear only as a risk "
    "arising from violations and complaints).",
    "Debt sale, and third or later placements (one second placement is modelled).",
    "Collector turnover, absence, training and learning: head-count and skill are fixed for "
    "the whole placement.",
    "Public holidays: shifts follow the weekdays in the scenario only.",
    "Skip tracing: a wrong or missing phone number or e-mail address stays wrong.",
    "Credit-bureau reporting and its effect on willingness to pay.",
    "The economy: no new unemployment shocks, seasonality or other change in cardholder "
    "behaviour over the horizon beyond what the model's own dynamics produce (income-shocked "
    "cardholders' income returns after spells drawn at placement).",
    "Failed or reversed payments: a payment made is final.",
    "Regulation other than the presets (US Regulation F, China, UK-style breathing space, "
    "none): other jurisdictions are set rule by rule in [rules].",
    "Staff overheads beyond wages (management, premises, systems) for in-house teams.",
    "Right-party verification: a call to a valid number is answered by the cardholder or by "
    "nobody, never by a wrong party.",
    "Payment links and digital self-service, and contact-data quality by segment (one share "
    "of valid numbers for the whole portfolio).",
    "Days past due as a driver of answering and promising by default: they drive the "
    "delinquency lifecycle, routing, call priority and the decay of the self-cure hazard; "
    "their effects on answering and promising (behaviour.stage.dpd_answer, dpd_promise) are "
    "0 unless a scenario sets them, for want of a public calibration.",
    "Accounts that are current when placed, and statement balances paid in full: a placed "
    "account starts past due, and a cured cardholder pays the minimum due.",
    "Any effect of collection on the card's future spending.",
)
