"""recmesh model tooling: sequential recommender training, evaluation and ONNX export."""
ACTION_TYPES = ["view", "click", "add_to_cart", "remove_from_cart", "purchase", "rate"]
__all__ = ["ACTION_TYPES"]
