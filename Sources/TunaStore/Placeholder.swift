// The trial store lives here.
