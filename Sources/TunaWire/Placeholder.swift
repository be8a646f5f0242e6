// ZeroMQ wrapper lives here.
