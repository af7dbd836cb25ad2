"""Application services: each command loads what it needs, calls the domain and commits, in
one transaction (`lapor.infra.db.run_in_transaction`)."""
