/// Layers, initialisers and data splits name `SeededGenerator` in their public signatures, so
/// every user of the tensor module needs it: re-exported rather than imported file by file.
@_exported import TunaRandom
