#!/usr/bin/env python3
"""Write the course's character corpus, rnnlib/data_files/corpus.txt, from a small grammar.

    python scripts/make_corpus.py            # check: does the shipped file equal the output?
    python scripts/make_corpus.py --write    # (re)write rnnlib/data_files/corpus.txt

The corpus ships as a file (``rnnlib.data.char_corpus()`` reads it), so the grammar that made it
is not part of the library: it lives here, with the one function that expands it,
:func:`generate_corpus`. ``--write`` writes only that one file, which this script made; with
``--out PATH`` it writes PATH instead, and refuses to replace a file that is not an earlier
output of this script (a corpus file: the same first paragraph).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import numpy as np

from rnnlib import _checks
from rnnlib.data import _pick  # one element of a sequence, uniformly at random

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "rnnlib" / "data_files" / "corpus.txt"


# Each entry maps a slot name to its alternatives; an alternative may contain further
# {slots}. The six topics below are the sentence templates; everything else is vocabulary.
_GRAMMAR: dict[str, tuple[str, ...]] = {
    # --- sentence templates, one tuple per topic ---------------------------------------------
    "about_river": (
        "{river} {flows} past {river_place}.",
        "After the {rain}, {river} rose {amount} in {duration}.",
        "{person} walked along {river} and saw {animal}.",
        "The water was {water_adj} and {water_adj} by {time_of_day}.",
        "On {day}, the level at {river_place} was {digit1}.{digit} metres.",
        "Is {river} still {water_adj} near {river_place}?",
        "{river} {flows} {adverb} under the bridge, past {river_place}, and on to the sea.",
        "{person} and {company} watched {animal} from the bank.",
        "When {river} floods, the path to {river_place} is closed.",
        "The ferryman said that {river} had never been so {water_adj}.",
        "Below the weir, the current was {water_adj}; above it, the water lay still.",
        "At {time_of_day}, {animal} came down to {river}.",
        "Nobody fishes in {river} in {month}.",
    ),
    "about_weather": (
        "The sky was {sky} and the {rain} came {rain_came}.",
        "It rained all {part_of_day}, so {person} stayed inside.",
        "The forecast for {day} says {weather} in the {part_of_day} and {weather} later.",
        "What a {sky} {part_of_day} it was!",
        "By {time_of_day}, the {weather} had {weather_end}.",
        "In {month}, the wind blows from the {direction}.",
        "{person} looked at the clouds and said, \"{remark}.\"",
        "There was {weather} on the hills and {weather} in the valley.",
        "The thermometer read {temperature} degrees at {time_of_day}.",
        "Will the {weather} stop before {day}?",
        "A {sky} light fell over the fields after the storm.",
        "The wind was so strong that the {garden_thing} blew over.",
    ),
    "about_garden": (
        "{person} {garden_verb} the {plant} {garden_when}.",
        "The {plant} grew tall beside the {garden_place}.",
        "Every {season}, {person} sows {plant} in neat rows.",
        "Slugs ate the {plant}, and {person} was cross.",
        "Bring the {tool} from the shed, please.",
        "Why are the {plant} so small this year?",
        "The {plant} and the {plant} need water; the {plant} do not.",
        "{person} took the {tool} and went down to the {garden_place}.",
        "Bees hummed over the {flower}, and the air smelled of {flower}.",
        "In {season}, the {flower} by the {garden_place} are at their best.",
        "{person} picked a basket of {plant} for supper.",
        "Don't step on the {plant}!",
    ),
    "about_train": (
        "{train} {train_verb} {station} at {clock}.",
        "{person} caught {train} to {town}.",
        "The train was late again, because of {delay_reason}.",
        "From the window, {person} saw {view}.",
        "Platform {digit1} is closed today; please use platform {digit1}.",
        "Does {train} stop at {town}?",
        "The guard blew the whistle, and {train} {train_depart}.",
        "{train} carried {cargo} through the night.",
        "\"Tickets, please!\" called the guard.",
        "The carriages were full of {passengers}.",
        "{person} read a book on {train} and missed the stop at {town}.",
        "The line to {town} runs beside {river} for {digit1} miles.",
    ),
    "about_kitchen": (
        "{person} {cook_verb} the {ingredient} and added a pinch of {spice}.",
        "To make {dish}, you need {ingredient}, {ingredient} and {ingredient}.",
        "The {dish} smelled of {ingredient} and {spice}.",
        "Stir the {dish} {adverb}, or it will burn.",
        "Who ate all the {treats}?",
        "{person} baked {baked} for {person}, who loved it.",
        "Let the {dish} simmer for {digit1}{digit0} minutes.",
        "In the kitchen, {person} was {cooking} {ingredient} for the {dish}.",
        "The recipe says: one cup of {ingredient}, two eggs, and a little {spice}.",
        "Dinner was {dish} with {ingredient}, and {baked} for pudding.",
        "Is the {dish} ready yet?",
        "{person} tasted the {dish} and said, \"{kitchen_remark}!\"",
    ),
    "about_general": (
        "{person} said that {news}.",
        "Later, {person} wrote to {person} about {topic}.",
        "Everyone in {town} was talking about {topic}.",
        "On {day} morning, {person} heard that {news}.",
        "It was {month}, and {news}.",
        "\"Did you know that {news}?\" asked {person}.",
    ),
    # --- vocabulary --------------------------------------------------------------------------
    "person": ("Anna", "Tom", "Grandma", "Mr Hale", "Mrs Okafor", "Priya", "Sam", "Lucy",
               "Ben", "Aunt Rosa", "the old miller", "Maya", "Jonah", "Elsie", "Omar",
               "the baker", "the station master", "little Kit", "Dr Moss", "Uncle Ivo"),
    "river": ("the river", "the Alder", "the Wren", "the brook", "the stream", "the Tam",
              "the little beck", "the old canal"),
    "company": ("a friend", "the children", "the dog", "two fishermen", "a visitor"),
    "flows": ("flows", "runs", "winds", "rushes", "slides", "wanders", "curls", "tumbles"),
    "river_place": ("the old mill", "the stone bridge", "the meadow", "the village",
                    "the willows", "the church", "the weir", "Hollow Farm", "the ford",
                    "the boathouse"),
    "water_adj": ("brown", "clear", "cold", "fast", "slow", "deep", "shallow", "high", "low",
                  "calm", "muddy", "green", "swollen", "quiet"),
    "animal": ("a heron", "two ducks", "a kingfisher", "an otter", "a family of swans",
               "a trout", "a water vole", "three geese", "a dragonfly", "a moorhen"),
    "amount": ("half a metre", "a metre", "two metres", "a few inches", "a hand's width",
               "thirty centimetres"),
    "duration": ("an hour", "one night", "two days", "a single afternoon", "a few hours"),
    "time_of_day": ("dawn", "noon", "dusk", "midnight", "teatime", "nine o'clock",
                    "half past six"),
    "part_of_day": ("morning", "afternoon", "evening", "night", "day"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "month": ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December"),
    "season": ("spring", "summer", "autumn", "winter"),
    "rain": ("rain", "storm", "downpour", "thaw", "cloudburst", "long wet week"),
    "weather": ("rain", "snow", "fog", "wind", "hail", "sunshine", "drizzle", "thunder",
                "frost", "mist", "sleet"),
    "rain_came": ("suddenly", "at last", "in the night", "from the west", "without warning"),
    "weather_end": ("passed", "stopped", "cleared", "moved east", "eased", "turned to rain"),
    "sky": ("grey", "blue", "heavy", "clear", "low", "bright", "dark", "pale", "golden"),
    "direction": ("north", "south", "east", "west", "sea", "hills"),
    "temperature": ("{digit1}", "1{digit}", "2{digit1}"),
    "remark": ("It will rain soon", "Bring a coat", "The wind is rising",
               "We'll have snow by morning", "What a lovely day", "Look, a rainbow"),
    "digit": ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
    "digit0": ("0", "5"),
    "digit1": ("1", "2", "3", "4", "5", "6", "7", "8", "9"),
    "adverb": ("slowly", "quickly", "carefully", "quietly", "gently", "happily", "suddenly",
               "patiently", "steadily"),
    "plant": ("carrots", "beans", "potatoes", "onions", "peas", "lettuces", "leeks",
              "tomatoes", "beetroots", "pumpkins", "strawberries", "radishes"),
    "flower": ("roses", "tulips", "daisies", "sunflowers", "poppies", "sweet peas",
               "bluebells", "foxgloves", "marigolds"),
    "garden_verb": ("planted", "watered", "weeded", "picked", "dug up", "pruned", "sowed",
                    "covered"),
    "garden_when": ("in the morning", "before lunch", "after the rain", "at dusk",
                    "on {day}", "in {month}"),
    "garden_place": ("fence", "shed", "greenhouse", "wall", "pond", "gate", "path",
                     "apple tree"),
    "garden_thing": ("bean poles", "scarecrow", "wheelbarrow", "bird table", "greenhouse door"),
    "tool": ("spade", "fork", "rake", "trowel", "hoe", "watering can", "wheelbarrow", "hose"),
    "train": ("the slow train", "the night train", "the express", "the little local train",
              "the goods train", "the steam train", "the early train", "the last train"),
    "train_verb": ("left", "reached", "rattled through", "stopped at", "pulled out of",
                   "thundered past", "crawled into"),
    "train_depart": ("pulled away", "began to move", "left on time", "rolled out slowly"),
    "station": ("the station", "the junction", "{town}", "{town} station"),
    "town": ("Millbridge", "Kingsford", "Hollow Cross", "Ashby", "Easton", "Greywater",
             "Little Fenby", "Portwell"),
    "clock": ("{digit1}:{digit0}{digit0}", "{digit1}:{digit1}{digit0}", "noon", "midnight"),
    "delay_reason": ("leaves on the line", "the snow", "a fallen tree", "a broken signal",
                     "sheep on the track", "the flood"),
    "view": ("fields of wheat", "{river}", "the sea", "a herd of cows", "the hills",
             "the lights of {town}", "{animal}"),
    "cargo": ("coal", "timber", "letters", "milk", "apples", "sleeping passengers"),
    "passengers": ("tired workers", "schoolchildren", "holiday makers",
                   "farmers going to market", "people with umbrellas"),
    "cook_verb": ("chopped", "fried", "washed", "sliced", "grated", "roasted", "boiled",
                  "peeled"),
    "cooking": ("chopping", "slicing", "weighing", "washing", "grating", "peeling"),
    "ingredient": ("butter", "flour", "onions", "garlic", "apples", "honey", "milk", "eggs",
                   "lemon", "rice", "carrots", "cheese", "tomatoes", "mushrooms"),
    "spice": ("salt", "pepper", "thyme", "sugar", "nutmeg", "cinnamon", "parsley"),
    "dish": ("soup", "stew", "porridge", "risotto", "curry", "sauce", "omelette", "pie"),
    "baked": ("bread", "a pie", "a cake", "scones", "biscuits", "an apple tart"),
    "treats": ("scones", "pancakes", "biscuits", "cherries", "pies", "cakes"),
    "kitchen_remark": ("Delicious", "Too salty", "It needs more pepper", "Perfect",
                       "Just like Grandma's"),
    "news": ("the river was high", "the train was late", "the soup was ready",
             "the roses had opened", "rain was coming", "the bridge was closed",
             "the otters were back", "the pumpkins had won a prize"),
    "topic": ("the flood", "the garden", "the journey", "the new recipe", "the storm",
              "the harvest", "the old railway"),
}

_TOPICS = ("about_river", "about_weather", "about_garden", "about_train", "about_kitchen")
_SLOT = re.compile(r"\{(\w+)\}")
_GENERAL_CHANCE = 0.15  # chance that a sentence comes from "general" instead of the topic


def _expand(template: str, rng: np.random.Generator) -> str:
    """Fill every ``{slot}`` of ``template`` (left to right, recursively) from the grammar."""
    return _SLOT.sub(lambda m: _expand(_pick(rng, _GRAMMAR[m.group(1)]), rng), template)


def _capitalise(sentence: str) -> str:
    """Upper-case the first letter (which may follow an opening quote)."""
    for i, ch in enumerate(sentence):
        if ch.isalpha():
            return sentence[:i] + ch.upper() + sentence[i + 1:]
    return sentence


def _sentence(topic: str, rng: np.random.Generator) -> str:
    """One sentence, mostly about ``topic``, sometimes a general remark."""
    source = "about_general" if rng.random() < _GENERAL_CHANCE else topic
    return _capitalise(_expand(_pick(rng, _GRAMMAR[source]), rng))


def _paragraph(rng: np.random.Generator) -> str:
    """Three to six sentences about one topic, on one line."""
    topic = _pick(rng, _TOPICS)
    n_sentences = int(rng.integers(3, 7))
    return " ".join(_sentence(topic, rng) for _ in range(n_sentences))


def generate_corpus(seed=0, n_chars: int = 40_000) -> str:
    """Generate the course's English corpus from a small hand-written grammar.

    Short paragraphs about rivers, weather, gardens, trains and cooking, with names,
    questions, quoted speech, numbers and varied punctuation: rich enough that a character
    language model visibly learns spelling, spaces and capital letters, small enough to train
    on in a few minutes. Paragraphs are separated by a blank line; the text ends with a newline.

    The shipped file ``rnnlib/data_files/corpus.txt`` is ``generate_corpus()``; a test
    (tests/test_data.py) checks that they agree.

    Parameters
    ----------
    seed : None, int or np.random.Generator
    n_chars : int
        Minimum length (at least 1). Whole paragraphs are added until the text holds at least
        ``n_chars`` characters, so it is longer by less than one paragraph.

    Returns
    -------
    str
    """
    n_chars = _checks.check_int(n_chars, "n_chars", 1)
    rng = _checks.rng_from(seed)
    paragraphs: list[str] = []
    length = 0
    while length < n_chars:
        paragraph = _paragraph(rng)
        length += len(paragraph) + (2 if paragraphs else 1)  # + "\n\n" before, or final "\n"
        paragraphs.append(paragraph)
    return "\n\n".join(paragraphs) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--write", action="store_true", help="write the corpus file")
    parser.add_argument("--out", type=Path, default=CORPUS, help=f"default: {CORPUS}")
    args = parser.parse_args(argv)
    text = generate_corpus()
    if not args.write:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from the generator output'}")
        return 0 if same else 1
    if args.out.exists():
        old = args.out.read_text(encoding="utf-8", errors="replace")
        if old.split("\n\n", 1)[0] != text.split("\n\n", 1)[0]:
            print(f"refusing to replace {args.out}: it is not a corpus this script wrote",
                  file=sys.stderr)
            return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
