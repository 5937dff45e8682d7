"""What happens over time to what an evaluation found: regression and outage issues,
and the quarterly revalidation of sign-offs."""
