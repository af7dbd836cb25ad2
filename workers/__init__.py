"""RQ jobs of Lapor. Each takes ids or plain values, reloads what it needs, and is safe to run
twice; they are enqueued only through lapor.infra.jobs, which sets queue, timeout and retry."""
