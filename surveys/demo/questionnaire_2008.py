"""The 2008 questionnaire, in the six UN languages (texts written for the demo).

Its questions follow the themes the report draws from the replies (A/63/269,
paragraphs 21-24): the Global Forum as an outcome, as the sole follow-up, its
relationship with the United Nations, the General Assembly's follow-up, regional
and thematic processes.
"""

import datetime

CODE = "HLD-2008"
REFERENCE = "General Assembly resolution 61/208"
SENT_ON = datetime.date(2008, 3, 18)
DEADLINE = datetime.date(2008, 4, 30)
CUTOFF = datetime.date(2008, 7, 15)
MAP_DATE = datetime.date(2008, 6, 30)
REMINDER_DAYS = [-14, -3, 7]

TITLE = {
    "en": "Questionnaire on the follow-up to the 2006 High-level Dialogue on International "
          "Migration and Development",
    "fr": "Questionnaire sur la suite donnée au Dialogue de haut niveau de 2006 sur les "
          "migrations internationales et le développement",
    "es": "Cuestionario sobre el seguimiento del Diálogo de alto nivel sobre la migración "
          "internacional y el desarrollo de 2006",
    "ru": "Вопросник о последующей деятельности по итогам Диалога на высоком уровне по "
          "вопросу о международной миграции и развитии 2006 года",
    "zh-hans": "关于2006年国际移徙与发展问题高级别对话后续行动的调查问卷",
    "ar": "استبيان بشأن متابعة الحوار الرفيع المستوى بشأن الهجرة الدولية والتنمية لعام 2006",
}

INTRODUCTION = {
    "en": "In its resolution 61/208, the General Assembly requested the Secretary-General to "
          "report on the follow-up to the High-level Dialogue. Your Government's views will "
          "inform that report. Please reply by 30 April 2008.",
    "fr": "Dans sa résolution 61/208, l'Assemblée générale a prié le Secrétaire général de lui "
          "faire rapport sur la suite donnée au Dialogue de haut niveau. Les vues de votre "
          "gouvernement éclaireront ce rapport. Merci de répondre d'ici au 30 avril 2008.",
    "es": "En su resolución 61/208, la Asamblea General pidió al Secretario General que le "
          "informara sobre el seguimiento del Diálogo de alto nivel. Las opiniones de su "
          "Gobierno servirán de base para ese informe. Sírvase responder a más tardar el "
          "30 de abril de 2008.",
    "ru": "В своей резолюции 61/208 Генеральная Ассамблея просила Генерального секретаря "
          "представить доклад о последующей деятельности по итогам Диалога на высоком уровне. "
          "Мнения вашего правительства будут учтены в этом докладе. Просим ответить до "
          "30 апреля 2008 года.",
    "zh-hans": "大会在第61/208号决议中请秘书长就高级别对话的后续行动提出报告。"
               "贵国政府的意见将为该报告提供参考。请于2008年4月30日前答复。",
    "ar": "طلبت الجمعية العامة في قرارها 61/208 إلى الأمين العام أن يقدم تقريرا عن متابعة الحوار "
          "الرفيع المستوى. وسيسترشد هذا التقرير بآراء حكومتكم. يرجى الرد في موعد أقصاه "
          "30 نيسان/أبريل 2008.",
}

SECTIONS = [
    ("forum", {
        "en": "The Global Forum on Migration and Development",
        "fr": "Le Forum mondial sur la migration et le développement",
        "es": "El Foro Mundial sobre Migración y Desarrollo",
        "ru": "Глобальный форум по миграции и развитию",
        "zh-hans": "全球移徙与发展论坛",
        "ar": "المنتدى العالمي المعني بالهجرة والتنمية",
    }),
    ("assembly", {
        "en": "Follow-up by the General Assembly",
        "fr": "Suite donnée par l'Assemblée générale",
        "es": "Seguimiento por la Asamblea General",
        "ru": "Последующая деятельность Генеральной Ассамблеи",
        "zh-hans": "大会的后续行动",
        "ar": "المتابعة من جانب الجمعية العامة",
    }),
]

# (section, code, type, required, text)
QUESTIONS = [
    ("forum", "forum_useful", "text", True, {
        "en": "Does your Government consider the Global Forum on Migration and Development a "
              "useful outcome of the 2006 High-level Dialogue? Please explain.",
        "fr": "Votre gouvernement considère-t-il le Forum mondial sur la migration et le "
              "développement comme un résultat utile du Dialogue de haut niveau de 2006 ? "
              "Veuillez expliquer.",
        "es": "¿Considera su Gobierno que el Foro Mundial sobre Migración y Desarrollo es un "
              "resultado útil del Diálogo de alto nivel de 2006? Sírvase explicar.",
        "ru": "Считает ли ваше правительство Глобальный форум по миграции и развитию полезным "
              "итогом Диалога на высоком уровне 2006 года? Просьба пояснить.",
        "zh-hans": "贵国政府是否认为全球移徙与发展论坛是2006年高级别对话的有益成果？请说明。",
        "ar": "هل تعتبر حكومتكم المنتدى العالمي المعني بالهجرة والتنمية نتيجة مفيدة للحوار "
              "الرفيع المستوى لعام 2006؟ يرجى التوضيح.",
    }),
    ("forum", "forum_sole_followup", "text", True, {
        "en": "Should the Global Forum be the sole follow-up to the High-level Dialogue? If not, "
              "what other follow-up would your Government favour?",
        "fr": "Le Forum mondial devrait-il être la seule suite donnée au Dialogue de haut "
              "niveau ? Sinon, quelle autre forme de suivi votre gouvernement privilégierait-il ?",
        "es": "¿Debería ser el Foro Mundial el único seguimiento del Diálogo de alto nivel? En "
              "caso contrario, ¿qué otro seguimiento preferiría su Gobierno?",
        "ru": "Должен ли Глобальный форум быть единственной формой последующей деятельности по "
              "итогам Диалога на высоком уровне? Если нет, какой иной вариант предпочло бы ваше "
              "правительство?",
        "zh-hans": "全球论坛是否应成为高级别对话的唯一后续行动？"
                   "如果不是，贵国政府倾向于哪些其他后续行动？",
        "ar": "هل ينبغي أن يكون المنتدى العالمي المتابعة الوحيدة للحوار الرفيع المستوى؟ وإن لم "
              "يكن كذلك، فما هي أشكال المتابعة الأخرى التي تفضلها حكومتكم؟",
    }),
    ("forum", "forum_un_relationship", "text", False, {
        "en": "How should the relationship between the Global Forum and the United Nations "
              "develop?",
        "fr": "Comment la relation entre le Forum mondial et l'Organisation des Nations Unies "
              "devrait-elle évoluer ?",
        "es": "¿Cómo debería evolucionar la relación entre el Foro Mundial y las Naciones "
              "Unidas?",
        "ru": "Как должны развиваться отношения между Глобальным форумом и Организацией "
              "Объединенных Наций?",
        "zh-hans": "全球论坛与联合国之间的关系应如何发展？",
        "ar": "كيف ينبغي أن تتطور العلاقة بين المنتدى العالمي والأمم المتحدة؟",
    }),
    ("assembly", "ga_followup", "text", True, {
        "en": "What follow-up to the High-level Dialogue should the General Assembly undertake?",
        "fr": "Quelle suite l'Assemblée générale devrait-elle donner au Dialogue de haut "
              "niveau ?",
        "es": "¿Qué seguimiento del Diálogo de alto nivel debería emprender la Asamblea General?",
        "ru": "Какую последующую деятельность по итогам Диалога на высоком уровне должна "
              "осуществлять Генеральная Ассамблея?",
        "zh-hans": "大会应对高级别对话采取哪些后续行动？",
        "ar": "ما هي المتابعة التي ينبغي أن تضطلع بها الجمعية العامة للحوار الرفيع المستوى؟",
    }),
    ("assembly", "regional_processes", "text", False, {
        "en": "What role should regional and thematic meetings play in the follow-up?",
        "fr": "Quel rôle les réunions régionales et thématiques devraient-elles jouer dans le "
              "suivi ?",
        "es": "¿Qué papel deberían desempeñar las reuniones regionales y temáticas en el "
              "seguimiento?",
        "ru": "Какую роль в последующей деятельности должны играть региональные и тематические "
              "совещания?",
        "zh-hans": "区域和专题会议在后续行动中应发挥什么作用？",
        "ar": "ما هو الدور الذي ينبغي أن تؤديه الاجتماعات الإقليمية والمواضيعية في المتابعة؟",
    }),
]
