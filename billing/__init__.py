"""Billing-cycle services: the glue between the domain packages that the activities and the API call."""
