"""MongoDB implementations of the domain ports. The only layer that imports pymongo or mongoeco."""
