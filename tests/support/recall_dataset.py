"""Generated conversations with labelled evidence, for measuring memory search's recall (bench/recall.py) and
guarding it (tests/ai/test_recall_floor.py).

Deterministic from a seed. Each conversation is a series of dated sessions between two named friends (or between
the user and the assistant); in it, events are told in one turn (the evidence), often as the answer to the other
person's question, and echoed by the other person (a distractor sharing the event's words). Around them runs small
talk. Each question about an event is written the way people ask: with other words than the telling (a paraphrase),
naming the person, asking when, or with other forms of the words ("painting" for "painted"). The same subjects
come up for both people, so a question naming one of them has a near miss told by the other.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paa.core.context import Context

NAMES = (
    "Caroline", "Melanie", "Jon", "Gina", "Priya", "Marcus", "Elena", "Tomasz", "Aisha", "Deborah", "Kenji", "Rosa",
    "Samuel", "Ingrid", "Omar", "Lucia", "Hannah", "Victor", "Noor", "Felix",
)  # fmt: skip


@dataclass(frozen=True)
class Event:
    """Something a person tells; `tell` is the evidence turn, `ask` the other's question before it (optional),
    `echo` the other's answer after it; `questions` are (category, template) pairs. Slots: {me} the teller, {you}
    the other, {x}/{y} details drawn from `x`/`y`."""

    key: str
    tell: tuple[str, ...]
    questions: tuple[tuple[str, str], ...]
    ask: tuple[str, ...] = ()
    echo: tuple[str, ...] = ()
    x: tuple[str, ...] = ("",)
    y: tuple[str, ...] = ("",)


EVENTS: tuple[Event, ...] = (
    Event(
        "puppy",
        (
            "We finally adopted a puppy from the shelter last weekend, a little beagle we named {x}!",
            "Big news: there's a new member of the family, a rescue pup called {x}.",
        ),
        (
            ("paraphrase", "Did {me} get a new pet dog?"),
            ("person", "What is the name of {me}'s dog?"),
            ("when", "When did {me} adopt the dog?"),
            ("wordform", "adopting a beagle"),
        ),
        ask=("Anything new at home?",),
        echo=("Aww, a puppy! Send me pictures please.",),
        x=("Biscuit", "Pepper", "Max", "Luna", "Oscar"),
    ),
    Event(
        "pottery",
        (
            "I signed up for a pottery class on Thursdays, my first bowl came out lopsided but I love it.",
            "I've started throwing clay at a ceramics studio, I made {x} mugs already.",
        ),
        (
            ("paraphrase", "What new hobby did {me} pick up with clay?"),
            ("person", "What class does {me} take?"),
            ("when", "When did {me} start the pottery class?"),
            ("wordform", "potter making bowls"),
        ),
        echo=("That sounds so relaxing, I always wanted to try a wheel.",),
        x=("three", "five", "two"),
    ),
    Event(
        "marathon",
        (
            "I ran the {x} marathon on Sunday and finished in just under four hours!",
            "Crossed the finish line of the {x} marathon yesterday, my legs are destroyed.",
        ),
        (
            ("paraphrase", "Did {me} complete a long distance race?"),
            ("person", "Which marathon did {me} run?"),
            ("when", "When did {me} run a marathon?"),
            ("wordform", "running marathons"),
        ),
        ask=("How was your weekend?",),
        echo=("Wow, a whole marathon, I can barely run to the bus.",),
        x=("Chicago", "Boston", "Berlin", "city", "Lisbon"),
    ),
    Event(
        "promotion",
        (
            "I got promoted to team lead at the {x} this week, I still can't believe it.",
            "My manager told me I'm getting the senior position at the {x}, starting next month.",
        ),
        (
            ("paraphrase", "Did {me} advance in their career?"),
            ("person", "What new role did {me} get at work?"),
            ("when", "When did {me} get promoted?"),
            ("wordform", "promotion to lead"),
        ),
        ask=("How's work treating you?",),
        echo=("Congrats, you totally deserve it!",),
        x=("hospital", "bank", "agency", "school", "lab"),
    ),
    Event(
        "camping",
        (
            "We went camping at {x} with the kids, we roasted marshmallows and saw so many stars.",
            "Spent three nights in a tent by {x}, the kids loved the campfire.",
        ),
        (
            ("paraphrase", "Where did {me} sleep outdoors with the family?"),
            ("person", "Where did {me} go camping?"),
            ("when", "When did {me} go camping?"),
            ("wordform", "camped in a tent"),
        ),
        ask=("What did you get up to?",),
        echo=("Stars and marshmallows, that sounds perfect.",),
        x=("the lake", "the beach", "the mountains", "the forest"),
    ),
    Event(
        "painting",
        (
            "I painted a sunset over {x} last week, it's the first painting I'm actually proud of.",
            "Finished my canvas of {x} in watercolours, took me ages.",
        ),
        (
            ("paraphrase", "What artwork did {me} create recently?"),
            ("person", "What did {me} paint?"),
            ("when", "When did {me} finish the painting?"),
            ("wordform", "paintings of sunsets"),
        ),
        echo=("You have to show me, I love your art.",),
        x=("the harbour", "the old bridge", "the lake", "the hills"),
    ),
    Event(
        "support_group",
        (
            "I went to a support group for {x} yesterday, it was so powerful to hear the stories.",
            "I've been going to a {x} support group, people there really get it.",
        ),
        (
            ("paraphrase", "Where did {me} find people with the same experience?"),
            ("person", "What kind of group did {me} attend?"),
            ("when", "When did {me} go to the support group?"),
            ("wordform", "supporting groups meeting"),
        ),
        echo=("I'm really glad you found people to talk to.",),
        x=("grief", "new parents", "caregivers", "veterans"),
    ),
    Event(
        "moving",
        (
            "We're moving to {x} next month, the boxes are everywhere.",
            "We signed the lease on a flat in {x}, the move is in a few weeks.",
        ),
        (
            ("paraphrase", "Is {me} relocating to another city?"),
            ("person", "Where is {me} moving to?"),
            ("when", "When did {me} say they were moving?"),
            ("wordform", "moved house"),
        ),
        ask=("Any big plans coming up?",),
        echo=("Packing is the worst, good luck with all of it.",),
        x=("Denver", "Porto", "Seattle", "Manchester", "Kyoto"),
    ),
    Event(
        "guitar",
        (
            "I bought a secondhand {x} guitar and I'm learning chords from videos every night.",
            "Been practising guitar an hour a day, my fingertips hurt but I can play {y} now.",
        ),
        (
            ("paraphrase", "What instrument is {me} learning?"),
            ("person", "What song can {me} play?"),
            ("when", "When did {me} start learning guitar?"),
            ("wordform", "practice playing chords"),
        ),
        echo=("Play me something next time!",),
        x=("acoustic", "electric", "classical"),
        y=("Wonderwall", "Blackbird", "a Beatles song", "Hallelujah"),
    ),
    Event(
        "hospital",
        (
            "My dad had a {x} and spent a few days in hospital, he's home now and recovering.",
            "Dad was admitted after a {x}, it was a scary week for all of us.",
        ),
        (
            ("paraphrase", "Was someone in {me}'s family seriously ill?"),
            ("person", "What happened to {me}'s father?"),
            ("when", "When was {me}'s dad in hospital?"),
            ("wordform", "hospitalised parent"),
        ),
        ask=("You seemed quiet lately, is everything okay?",),
        echo=("I'm so sorry, I hope he gets well soon.",),
        x=("heart attack", "fall", "stroke", "bad infection"),
    ),
    Event(
        "bakery",
        (
            "I've been baking sourdough every weekend, my starter is called {x}.",
            "Made my first proper loaf of sourdough bread, the crust was amazing.",
        ),
        (
            ("paraphrase", "What does {me} make in the kitchen on weekends?"),
            ("person", "What does {me} bake?"),
            ("when", "When did {me} bake sourdough?"),
            ("wordform", "baked bread loaves"),
        ),
        echo=("Save me a slice!",),
        x=("Bubbles", "Doughy", "Clint Yeastwood"),
    ),
    Event(
        "volunteer",
        (
            "I volunteered at the {x} on Saturday, sorting donations and serving lunch.",
            "Spent the morning helping out at the {x}, it felt good to give back.",
        ),
        (
            ("paraphrase", "Did {me} do any charity work?"),
            ("person", "Where does {me} volunteer?"),
            ("when", "When did {me} volunteer?"),
            ("wordform", "volunteering at a shelter"),
        ),
        echo=("That's really kind of you.",),
        x=("food bank", "animal shelter", "homeless shelter", "library"),
    ),
    Event(
        "concert",
        (
            "We saw {x} live last night, the crowd was singing every word.",
            "Got tickets to the {x} concert, we were right at the front.",
        ),
        (
            ("paraphrase", "Which band did {me} see perform?"),
            ("person", "What concert did {me} go to?"),
            ("when", "When did {me} see the concert?"),
            ("wordform", "concerts and live music"),
        ),
        ask=("Did you do anything fun?",),
        echo=("Jealous! I love their music.",),
        x=("Coldplay", "Taylor Swift", "the Arctic Monkeys", "a jazz quartet"),
    ),
    Event(
        "injury",
        (
            "I sprained my {x} playing basketball, so I'm stuck on the couch for a while.",
            "Twisted my {x} on a hike, the doctor says two weeks of rest.",
        ),
        (
            ("paraphrase", "Did {me} get hurt?"),
            ("person", "What injury did {me} have?"),
            ("when", "When did {me} sprain something?"),
            ("wordform", "spraining a joint"),
        ),
        echo=("Ouch, take it easy and rest up.",),
        x=("ankle", "wrist", "knee"),
    ),
    Event(
        "book",
        (
            "I just finished reading {x}, I couldn't put it down.",
            "My book club picked {x} this month and I loved every page.",
        ),
        (
            ("paraphrase", "What novel did {me} enjoy?"),
            ("person", "Which book did {me} read?"),
            ("when", "When did {me} finish the book?"),
            ("wordform", "reading novels"),
        ),
        echo=("Ooh, I need to borrow that one.",),
        x=("Pachinko", "The Night Circus", "Dune", "Educated", "Circe"),
    ),
    Event(
        "wedding",
        (
            "My sister got married on Saturday at a vineyard, I gave a speech and cried the whole time.",
            "We went to my cousin's wedding in {x}, the dancing went on till 2 am.",
        ),
        (
            ("paraphrase", "Did {me} attend a marriage ceremony?"),
            ("person", "Whose wedding did {me} go to?"),
            ("when", "When was the wedding {me} went to?"),
            ("wordform", "weddings and getting married"),
        ),
        echo=("Weddings are the best, I'm glad it went well.",),
        x=("Tuscany", "Dublin", "Mexico City"),
    ),
    Event(
        "garden",
        (
            "I planted {x} and herbs in the backyard, the tomatoes are already coming up.",
            "Our vegetable patch is finally growing, we picked the first {x} today.",
        ),
        (
            ("paraphrase", "What is {me} growing at home?"),
            ("person", "What did {me} plant?"),
            ("when", "When did {me} start the vegetable garden?"),
            ("wordform", "gardening and planting"),
        ),
        echo=("Homegrown vegetables taste so much better.",),
        x=("tomatoes", "zucchini", "peppers", "strawberries"),
    ),
    Event(
        "trip",
        (
            "We just got back from {x}, the food was incredible and we walked everywhere.",
            "Booked flights to {x} for our anniversary, we leave in two weeks.",
        ),
        (
            ("paraphrase", "Where did {me} travel on holiday?"),
            ("person", "Which country did {me} visit?"),
            ("when", "When did {me} go on the trip?"),
            ("wordform", "travelling abroad"),
        ),
        ask=("How was your time off?",),
        echo=("I've always wanted to go there!",),
        x=("Japan", "Portugal", "Mexico", "Iceland", "Vietnam"),
    ),
    Event(
        "school",
        (
            "I enrolled in a night course in {x} at the community college.",
            "I'm going back to school to study {x}, classes start in the fall.",
        ),
        (
            ("paraphrase", "Is {me} taking up studies again?"),
            ("person", "What subject is {me} studying?"),
            ("when", "When did {me} enroll in the course?"),
            ("wordform", "enrolling in college"),
        ),
        echo=("That's brave, good for you.",),
        x=("psychology", "accounting", "nursing", "web design"),
    ),
    Event(
        "car",
        (
            "Our car broke down on the highway and the repair is going to cost a fortune.",
            "The mechanic says the transmission is gone, so we're looking at buying a used {x}.",
        ),
        (
            ("paraphrase", "Did {me} have problems with a vehicle?"),
            ("person", "What happened to {me}'s car?"),
            ("when", "When did {me}'s car break down?"),
            ("wordform", "broken car repairs"),
        ),
        echo=("Car trouble is the worst.",),
        x=("Toyota", "Honda", "Volvo"),
    ),
    Event(
        "meditation",
        (
            "I've been meditating for ten minutes every morning, it really helps with my anxiety.",
            "A friend got me into mindfulness, I do a breathing exercise before work now.",
        ),
        (
            ("paraphrase", "How does {me} cope with stress?"),
            ("person", "What morning routine does {me} have?"),
            ("when", "When did {me} start meditating?"),
            ("wordform", "meditation practice"),
        ),
        ask=("How are you holding up with everything?",),
        echo=("I should try that, I'm always so wound up.",),
    ),
    Event(
        "birthday",
        (
            "We threw a surprise party for {x}'s birthday, she had no idea!",
            "{x} turned forty and we rented a karaoke room to celebrate.",
        ),
        (
            ("paraphrase", "Did {me} organise a celebration for someone?"),
            ("person", "Whose birthday did {me} celebrate?"),
            ("when", "When was the surprise party?"),
            ("wordform", "celebrating birthdays"),
        ),
        echo=("Surprise parties are so fun to plan.",),
        x=("Mom", "Grandma", "Aunt Clara", "my wife"),
    ),
    Event(
        "job_loss",
        (
            "I got laid off on Monday, the whole {x} department was cut.",
            "The company is downsizing and my position in {x} is gone.",
        ),
        (
            ("paraphrase", "Did {me} lose their job?"),
            ("person", "Which department was {me} in when it was cut?"),
            ("when", "When was {me} laid off?"),
            ("wordform", "layoffs at work"),
        ),
        ask=("You sounded stressed on the phone, what's up?",),
        echo=("That's awful, let me know if I can help.",),
        x=("marketing", "design", "sales", "research"),
    ),
    Event(
        "kid_school",
        (
            "My son {x} started kindergarten, he cried at the gate but came home happy.",
            "{x} had the first day at the new school today, she already made a friend.",
        ),
        (
            ("paraphrase", "How did {me}'s child do on the first day of class?"),
            ("person", "Which of {me}'s kids started school?"),
            ("when", "When did {me}'s kid start school?"),
            ("wordform", "starting kindergarten"),
        ),
        echo=("They grow up so fast!",),
        x=("Leo", "Mia", "Sam", "Ava"),
    ),
    Event(
        "swim",
        (
            "I joined a masters swim team, we train at 6 am three times a week.",
            "I swam two kilometres in the pool this morning without stopping.",
        ),
        (
            ("paraphrase", "What exercise does {me} do in the water?"),
            ("person", "What team did {me} join?"),
            ("when", "When did {me} join the swim team?"),
            ("wordform", "swimming laps"),
        ),
        echo=("6 am? You're braver than me.",),
    ),
    Event(
        "photography",
        (
            "I bought my first real camera, a {x}, and I've been shooting street photos downtown.",
            "Entered a photography contest with my shot of {y}, fingers crossed.",
        ),
        (
            ("paraphrase", "What visual art hobby does {me} have?"),
            ("person", "What camera did {me} buy?"),
            ("when", "When did {me} get into photography?"),
            ("wordform", "photographs and photographing"),
        ),
        echo=("You've always had a good eye.",),
        x=("Fujifilm", "Canon", "Nikon"),
        y=("the old market", "a foggy pier", "my grandmother's hands"),
    ),
    Event(
        "cooking_class",
        (
            "Took a {x} cooking class last night, I finally learned to make proper dumplings.",
            "Our cooking class did {x} food this week and I nailed the curry.",
        ),
        (
            ("paraphrase", "Did {me} learn new recipes?"),
            ("person", "What cuisine did {me} learn to cook?"),
            ("when", "When did {me} take the cooking class?"),
            ("wordform", "cooked dumplings"),
        ),
        echo=("Yum, invite me over when you make it again.",),
        x=("Chinese", "Thai", "Indian", "Italian"),
    ),
    Event(
        "allergy",
        (
            "Turns out I'm allergic to {x}, the doctor gave me an epipen.",
            "I had a reaction after eating {x} and ended up in urgent care.",
        ),
        (
            ("paraphrase", "What can't {me} eat?"),
            ("person", "What is {me} allergic to?"),
            ("when", "When did {me} find out about the allergy?"),
            ("wordform", "allergies and reactions"),
        ),
        echo=("Scary! Good that you know now.",),
        x=("peanuts", "shellfish", "sesame"),
    ),
    Event(
        "house",
        (
            "We put an offer on a house with a big yard and it got accepted!",
            "We closed on the house today, we're officially homeowners.",
        ),
        (
            ("paraphrase", "Did {me} buy property?"),
            ("person", "What did {me} put an offer on?"),
            ("when", "When did {me} buy the house?"),
            ("wordform", "homeowner buying houses"),
        ),
        ask=("So what's the latest with you?",),
        echo=("A yard! The dog is going to be thrilled.",),
    ),
    Event(
        "languages",
        (
            "I'm learning {x} on an app every day, I'm on a 100 day streak.",
            "Had my first conversation in {x} with a waiter and he understood me!",
        ),
        (
            ("paraphrase", "What foreign tongue is {me} studying?"),
            ("person", "Which language is {me} learning?"),
            ("when", "When did {me} have a conversation in the new language?"),
            ("wordform", "learned languages"),
        ),
        echo=("Impressive streak!",),
        x=("Spanish", "Japanese", "German", "Italian"),
    ),
    Event(
        "breakup",
        (
            "{x} and I broke up after three years, it was mutual but it still hurts.",
            "I ended things with {x}, we wanted different futures.",
        ),
        (
            ("paraphrase", "Did {me}'s relationship end?"),
            ("person", "Who did {me} split up with?"),
            ("when", "When did {me} break up?"),
            ("wordform", "breaking up with a partner"),
        ),
        ask=("How are things with you two?",),
        echo=("I'm here if you need to talk.",),
        x=("Dan", "Chris", "Alex", "Jamie"),
    ),
    Event(
        "hiking",
        (
            "We hiked to the top of {x}, the view over the valley was unreal.",
            "Did a twelve mile trail up {x} on Saturday, I'm sore everywhere.",
        ),
        (
            ("paraphrase", "What mountain did {me} climb?"),
            ("person", "Where did {me} hike?"),
            ("when", "When did {me} go hiking?"),
            ("wordform", "hikes and trails"),
        ),
        echo=("Those views must have been worth the climb.",),
        x=("Mount Tam", "Old Rag", "Ben Nevis"),
    ),
)

SMALL_TALK = (
    "Hey {you}! Long time no talk, how have you been?",
    "Pretty good, just busy with work and the family.",
    "It's been a crazy week honestly.",
    "Haha, I know exactly what you mean.",
    "That's so great to hear!",
    "Thanks, it really means a lot to me.",
    "What have you been up to lately?",
    "Not much, mostly relaxing at home this weekend.",
    "The weather has been awful here, rain every day.",
    "I'm so tired, the kids were up all night.",
    "We should get coffee soon and catch up properly.",
    "Totally, let's plan something next week.",
    "I've been thinking about you, hope everything is okay.",
    "Anyway, I have to run, talk soon!",
    "Bye! Say hi to everyone for me.",
    "Good night, take care of yourself.",
    "Work has been stressful but I'm hanging in there.",
    "I love that for you.",
)
# What people add to a turn besides its point: turns in real chats run to several sentences, which dilutes them.
ASIDES = (
    "Anyway, work has been busy as usual.",
    "The kids say hi by the way.",
    "I've barely slept this week though.",
    "Also the weather finally got better here.",
    "Sorry I took so long to reply!",
    "My phone has been acting up all day.",
    "We're all doing fine otherwise.",
    "I keep meaning to call my mom more often.",
    "Honestly it has been a long month.",
    "I made a huge pot of soup for the week too.",
    "Traffic this morning was unbelievable.",
    "Still trying to drink less coffee, not going well.",
)
ASSISTANT_TALK = (
    "That's wonderful, thanks for telling me!",
    "I'll keep that in mind.",
    "How are you feeling about it?",
    "Is there anything I can help you plan?",
    "Good morning! What would you like to work on today?",
    "Noted. Anything else on your mind?",
)


@dataclass
class Turn:
    speaker: str  # a name, or "user" / "assistant"
    role: str  # user | other | assistant
    text: str
    at: datetime


@dataclass
class Question:
    text: str
    category: str  # paraphrase | person | when | wordform
    evidence: list[int]  # indexes into the conversation's turns


@dataclass
class Conversation:
    people: tuple[str, str]  # the user's side first
    with_assistant: bool
    turns: list[Turn] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)


def _name(text: str, me: str, me_is_user: bool) -> str:
    """A question's template for a named person, or for the user asking about themselves."""
    if not me_is_user:
        return text.replace("{me}", me)
    return text.replace("{me}'s", "my").replace("does {me}", "do I").replace("Is {me}", "Am I").replace("{me}", "I")


def generate(seed: int, conversations: int, *, sessions: int = 10, events_per_session: int = 3) -> list[Conversation]:
    """`conversations` conversations (every fourth between the user and the assistant), each with its questions."""
    rng = random.Random(seed)
    made = []
    for number in range(conversations):
        with_assistant = number % 4 == 3
        first, second = rng.sample(NAMES, 2)
        people = (first, "assistant") if with_assistant else (first, second)
        conversation = Conversation(people, with_assistant)
        slots = sessions * events_per_session
        chosen = rng.sample(EVENTS, min(len(EVENTS), slots * 4 // 5))
        schedule = [(event, 0 if with_assistant else rng.randrange(2)) for event in chosen]
        while len(schedule) < slots:  # the same subject told by the other person too: a near miss for the first
            event, teller = rng.choice(schedule[: len(chosen)])
            schedule.append((event, teller if with_assistant else 1 - teller))
        rng.shuffle(schedule)
        tellings: dict[str, list[tuple[int, int]]] = {}
        day = datetime(2023, 1, 2, 18, 0, tzinfo=UTC) + timedelta(days=rng.randrange(300))
        for session in range(sessions):
            day += timedelta(days=rng.randint(4, 20), minutes=rng.randrange(240))
            at = day

            def add(side: int, text: str, people: tuple[str, str] = people, chat: Conversation = conversation) -> int:
                nonlocal at
                at += timedelta(minutes=rng.randint(1, 4))
                with_assistant = chat.with_assistant
                if people[side] != "assistant" and rng.random() < 0.5:
                    text = f"{text} {rng.choice(ASIDES)}" if rng.random() < 0.5 else f"{rng.choice(ASIDES)} {text}"
                speaker = people[side] if not with_assistant else ("user", "assistant")[side]
                role = ("user", "assistant" if with_assistant else "other")[side]
                chat.turns.append(Turn(speaker, role, text.format(me=people[side], you=people[1 - side]), at))
                return len(chat.turns) - 1

            opener = 1 if with_assistant else rng.randrange(2)
            add(opener, SMALL_TALK[0] if not with_assistant else ASSISTANT_TALK[4])
            add(1 - opener, rng.choice(SMALL_TALK[1:4]))
            for event, teller in schedule[session * events_per_session : (session + 1) * events_per_session]:
                x, y = rng.choice(event.x), rng.choice(event.y)
                if event.ask and rng.random() < 0.6:
                    add(1 - teller, rng.choice(event.ask))
                evidence = add(teller, rng.choice(event.tell).replace("{x}", x).replace("{y}", y))
                tellings.setdefault(event.key, []).append((teller, evidence))
                if event.echo:
                    add(1 - teller, rng.choice(event.echo) if not with_assistant else rng.choice(ASSISTANT_TALK[:4]))
                if rng.random() < 0.5:
                    add(teller, rng.choice(SMALL_TALK[1:13]))
            add(rng.randrange(2), rng.choice(SMALL_TALK[13:16] if not with_assistant else ASSISTANT_TALK[5:6]))
        for event in chosen:
            told = tellings.get(event.key, [])
            for category, template in event.questions:
                named = category in ("person", "when") and not with_assistant
                for teller, evidence in told if named else told[:1]:
                    text = _name(template, people[teller], with_assistant)
                    # A question that names nobody in particular is answered by any telling of the subject.
                    found = [evidence] if named else [turn for _teller, turn in told]
                    conversation.questions.append(Question(text, category, found))
        _date_questions(rng, conversation)
        made.append(conversation)
    return made


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip
DATE_QUESTIONS = (
    "What did {me} talk about on {date}?",
    "What was new with {me} on {date}?",
    "What did {me} tell {you} on {date}?",
)


def _date_questions(rng: random.Random, conversation: Conversation) -> None:
    """Questions naming a day: what a person told that day (every evidence turn of theirs on it)."""
    told: dict[tuple[str, str], list[int]] = {}
    evidence = {turn for question in conversation.questions for turn in question.evidence}
    for index in sorted(evidence):
        turn = conversation.turns[index]
        told.setdefault((turn.speaker, turn.at.date().isoformat()), []).append(index)
    for (speaker, _day), turns in told.items():
        if rng.random() > 0.35:
            continue
        at = conversation.turns[turns[0]].at
        month = MONTHS[at.month - 1]
        date = rng.choice((f"{at.day} {month} {at.year}", f"{month} {at.day}, {at.year}", f"{at.day} {month}"))
        me = "I" if conversation.with_assistant else speaker
        you = "you" if conversation.with_assistant else next(p for p in conversation.people if p != speaker)
        text = rng.choice(DATE_QUESTIONS).format(me=me, you=you, date=date)
        conversation.questions.append(Question(text, "date", turns))


def store(ctx: Context, conversation: Conversation, *, at_once: bool = False) -> dict[int, int]:
    """Write a conversation as the context's user's chat, each message through `index_message` as chat does (with
    `at_once`, all of them through `index_messages`, as an import does); return its turns' memory ids (turn index
    -> memory id)."""
    from sqlmodel import col, select

    from paa.ai import memory
    from paa.db.models import Conversation as Chat
    from paa.db.models import Memory, Message

    chat = Chat(user_id=ctx.user_id, title=" and ".join(conversation.people), created_at=conversation.turns[0].at,
                updated_at=conversation.turns[-1].at)  # fmt: skip
    ctx.session.add(chat)
    ctx.session.flush()
    messages = []
    for turn in conversation.turns:
        row = Message(user_id=ctx.user_id, conversation_id=chat.id or 0, role=turn.role, content=turn.text,
                      created_at=turn.at)  # fmt: skip
        if not conversation.with_assistant:
            row.speaker = turn.speaker
        ctx.session.add(row)
        ctx.session.flush()
        if not at_once:
            memory.index_message(ctx, row)
        messages.append(row)
    if at_once:
        memory.index_messages(ctx, messages)
    ids = [message.id for message in messages]
    rows = ctx.session.exec(
        select(Memory).where(Memory.user_id == ctx.user_id, Memory.kind == "message", col(Memory.source_id).in_(ids))
    ).all()
    by_source = {row.source_id: row.id or 0 for row in rows}
    return {number: by_source[message] for number, message in enumerate(ids) if message in by_source}
