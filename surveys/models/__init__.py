"""Models of the surveys app, one module per concept, in the order data flows."""

from .contacts import Contact
from .distribution import Dispatch, FollowUp, Message, Recipient
from .questionnaires import YES_NO_CHOICES, Choice, Question, Questionnaire, ReminderRule, Section
from .registry import State
from .responses import Answer, Attachment, Response, ResponseVersion, Timing, timing_of

__all__ = ["YES_NO_CHOICES", "Answer", "Attachment", "Choice", "Contact", "Dispatch",
           "FollowUp", "Message", "Question", "Questionnaire", "Recipient", "ReminderRule",
           "Response", "ResponseVersion", "Section", "State", "Timing", "timing_of"]
