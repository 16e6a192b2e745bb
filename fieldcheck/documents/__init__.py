"""Formal documents: the issuing body and document numbers of the bulletin, and the 整改通知单 (notice)."""
