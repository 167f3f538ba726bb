// Placeholder so the layer's library has a source until its files land; delete then.
