"""Faster question encoding (placeholder until the ONNX encoder lands): keeps torch."""

import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def attach_onnx_query_encoder(embedder, data_dir: Path) -> None:
    return None
