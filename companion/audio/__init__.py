"""The audio shell: one input stream, one output stream, devices, WAV files."""
