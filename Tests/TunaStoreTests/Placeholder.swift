// Placeholder until the store's tests land.
