print("tuna")
