"""The spot registry (点位): rules, services, administration pages and API."""
