"""64-bit hashes of text keys (USCCs), shared by the duplicate search of one chunk and the duplicate
tracker of a streamed register. Distinct hashes prove distinct keys; equal hashes prove nothing, so a
caller that must be exact checks equal hashes another way."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_MIX = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB))


def hash_text_keys(keys: pa.Array) -> np.ndarray:
    """64-bit hashes of text keys without nulls: keys of 18 bytes each (every valid USCC) straight from
    the Arrow bytes with a splitmix-style mix in numpy, anything else through pandas' hash_array."""
    n = len(keys)
    if pa.types.is_string(keys.type) and n and not keys.null_count:
        lengths = pc.binary_length(keys).to_numpy(zero_copy_only=False)
        if (lengths == 18).all():
            offsets = np.frombuffer(keys.buffers()[1], dtype=np.int32)[keys.offset:keys.offset + n + 1]
            data = np.frombuffer(keys.buffers()[2], dtype=np.uint8)[offsets[0]:offsets[0] + 18 * n].reshape(n, 18)
            padded = np.zeros((n, 24), dtype=np.uint8)
            padded[:, :18] = data
            words = padded.view(np.uint64)
            with np.errstate(over="ignore"):
                h = words[:, 0] * _MIX[0]
                for j in (1, 2):
                    h = (h ^ (h >> np.uint64(31))) * _MIX[1] + words[:, j] * _MIX[2]
                h ^= h >> np.uint64(30)
                h *= _MIX[1]
                h ^= h >> np.uint64(27)
                h *= _MIX[2]
                h ^= h >> np.uint64(31)
            return h
    return pd.util.hash_array(keys.to_numpy(zero_copy_only=False).astype(object)).astype(np.uint64)


def all_distinct(keys: pa.Array) -> bool:
    """True when no two keys (nulls left out) are equal, proven by distinct hashes; False when two
    hashes are equal (equal keys, or, very rarely, a collision: check exactly then)."""
    present = pc.drop_null(keys) if keys.null_count else keys
    if len(present) < 2:
        return True
    h = np.sort(hash_text_keys(present))
    return not bool((h[1:] == h[:-1]).any())
