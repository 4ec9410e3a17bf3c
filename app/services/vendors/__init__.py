"""Vendors: vendors and their contacts (vendors.py), purchase orders (purchase_orders.py, on the billing
engine with the vendor as the party) and what their actions make (receiving.py: the expense of a
conversion, the stock a delivery adds)."""
