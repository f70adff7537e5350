"""Personal voice: the embedded recognizer's acoustic model adapted to one person.

``companion voice teach`` records the person saying the commands; ``adapt``
re-estimates the stock pocketsphinx model on those takes with CMU Sphinx's
own tools (sphinxtrain); ``profile`` keeps the result in the private data
folder, and the recognizer loads it at its engine stage
(``companion.recognition.engines``). Nothing here leaves the machine.
"""
