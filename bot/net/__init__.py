"""The outside web, for a review or an audit: the SSRF guard, the link checker (collect -> check ->
audit), the scholarly clients, the answer cache, one retry policy, and the gathering of the facts
the network rules read. Nothing here raises on a network problem; it becomes an unverified fact."""
