"""Traffic fines and their payouts (seed 004): rides, fine notices, the payout ledger, the
daily 14:00 batch, disputed parking fines."""
