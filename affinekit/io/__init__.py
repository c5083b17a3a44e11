"""Files in and out: photos and videos decoded with bounds, images converted with an explicit range,
atomic writes, checked destinations, output locks, the training log. Knows nothing of faces or models."""
