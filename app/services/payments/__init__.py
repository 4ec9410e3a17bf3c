"""Payments: the service (service), what a payment is applied to (apply), refunds (refunds) and deletion
(deletion). Credits a payment uses are the credit's own (billing.credits.apply_credit)."""
