"""The encoder-decoder of notebook 07 (sequence to sequence, T_x != T_y).

It lives in the core, :class:`rnnlib.networks.EncoderDecoder`, with its own gradient check; the
demos use that one class. The encoder reads the input and hands its final state, the
*context*, to the decoder, which writes the output one symbol at a time.
"""

from __future__ import annotations

from ..networks import EncoderDecoder

__all__ = ["EncoderDecoder"]
