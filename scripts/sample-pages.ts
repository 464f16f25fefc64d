/**
 * The text of the bundled sample pages (data-samples/). Written for this project: plausible
 * prose, each English article long enough and ordinary enough to pass the Gopher quality rules,
 * plus the junk a crawl really holds. scripts/make-samples.ts wraps them into HTML and WARC.
 */

export interface Article {
  /** Path of the page on its site. */
  path: string;
  title: string;
  byline?: string;
  paragraphs: string[];
  /** Lines that line-wise corrections should remove (counters, sign-in prompts, shouting). */
  junkLines?: string[];
}

/** A long paragraph the Riverbend Gazette prints under every article: exact-substring dedup's target. */
export const GAZETTE_NOTE =
  "Editor's note: The Riverbend Gazette is an independent, reader-supported newsroom that has covered the river towns of the valley since 1962. " +
  'We do not accept money from the people and organisations we report on, and every story is checked by a second editor before it is published. ' +
  'If you spot a mistake, write to our corrections desk and we will review it within two working days, and if you value local reporting, please consider becoming a member.';

export const GAZETTE_ARTICLES: Article[] = [
  {
    path: '/news/2023/01/community-garden-reopens',
    title: 'Community garden on Mill Street reopens after two years of repairs',
    byline: 'By Hannah Okafor',
    paragraphs: [
      'The community garden on Mill Street opened its gates again on Saturday morning, two years after a burst water main flooded the plots and washed away most of the topsoil. About sixty residents came to the reopening, many of them carrying seed trays and folding chairs, and the queue for the new tool shed stretched past the bakery on the corner.',
      'The repairs were paid for by a mix of council money and small donations. Volunteers rebuilt the raised beds with reclaimed timber from the old railway depot, laid new drainage under the paths, and planted a hedge of hawthorn and hazel along the northern fence to shelter the beds from the wind that comes off the river in spring.',
      '"We lost almost everything in the flood, and for a while it felt like the garden might not come back at all," said Margaret Ellis, who has tended a plot there since 1998. "What brought it back was people turning up every Sunday with a wheelbarrow. Nobody was paid to do this. It was just neighbours who wanted somewhere to grow beans."',
      'There are now forty-two plots, eight of them raised to wheelchair height, and a shared herb bed near the entrance that anyone may pick from. The garden committee says the waiting list already has more than thirty names on it, and it is talking to the primary school about a children\'s plot that classes could use during the summer term.',
      'The garden will be open every day from eight in the morning until dusk. A seed swap is planned for the first weekend of March, and the committee has asked anyone with spare compost bins or watering cans to bring them to the shed on Sunday afternoons.',
    ],
    junkLines: ['14 likes', 'Sign in to comment'],
  },
  {
    path: '/news/2023/01/council-approves-bike-lanes',
    title: 'Council approves protected bike lanes on the bridge road',
    byline: 'By Daniel Reyes',
    paragraphs: [
      'The town council voted seven to two on Tuesday night to build protected bike lanes along the bridge road, ending a debate that has filled the public gallery at every meeting since the autumn. Work is expected to start in May and to take about four months, with one lane of traffic kept open in each direction while the kerbs are moved.',
      'Supporters of the plan pointed to the number of children who cycle to the secondary school across the river, and to two serious collisions on the bridge approach in the past three years. The new lanes will be separated from traffic by a low concrete kerb and planters, and the junction with Station Road will get its own signal phase for cyclists.',
      'Shop owners on the road were divided. Several worried that the loss of twelve parking spaces would drive customers to the retail park on the ring road, while others said that people on bicycles already make up a good share of their trade. The council agreed to add a short-stay loading bay and to review the effect on local businesses after a year.',
      'The two councillors who voted against the plan said they supported safer cycling in principle but thought the cost, a little over two million pounds, should have been spread over several years. The rest of the money for the scheme comes from a regional transport grant that must be spent before the end of next year.',
    ],
    junkLines: ['SHARE THIS STORY WITH YOUR FRIENDS', '27 comments'],
  },
  {
    path: '/news/2023/01/school-robotics-club',
    title: 'Valley High robotics club builds a machine that sorts recycling',
    byline: 'By Priya Natarajan',
    paragraphs: [
      'When the robotics club at Valley High started meeting in a science lab after school last September, its members had one second-hand kit, a box of spare motors and a teacher who admits he had never soldered anything before. Five months later, the club has built a small machine that can sort cans, bottles and paper on a conveyor belt, and it has been invited to show it at the regional science fair.',
      'The machine uses a cheap camera and a program the students trained on thousands of photographs of rubbish they collected from the school canteen. A pair of flaps pushes each item into the right bin. It is not perfect, the students say, and it still has trouble with crushed cans and wet cardboard, but it gets most items right.',
      '"The best part was when it failed," said Tom Becker, who is sixteen and wants to study engineering. "We spent two weeks wondering why it kept throwing yoghurt pots into the paper bin, and it turned out the light from the window was confusing the camera. You learn more from that than from anything in a textbook."',
      'The club now has twenty members and meets twice a week. Its teacher, Mr. Alvarez, says the school is looking for a local company to sponsor a second kit so that younger pupils can join, and that the students have already started planning a machine that waters the school greenhouse.',
    ],
  },
  {
    path: '/news/2023/01/wetland-restoration',
    title: 'Farmers and volunteers bring back the wetland below Hollow Farm',
    byline: 'By Hannah Okafor',
    paragraphs: [
      'For most of the last century, the low fields below Hollow Farm were drained by a network of ditches and clay pipes so that they could be ploughed. This winter, the pipes have been blocked, the ditches partly filled, and the fields are turning back into the kind of wet meadow that covered much of the valley floor two hundred years ago.',
      'The project is a partnership between the farm, the county wildlife trust and a group of volunteers who spent their weekends planting reeds, sedges and willow along the old stream line. The farmer, Gareth Lloyd, says the fields were never very profitable anyway, because they flooded in most years and the crops often rotted before harvest.',
      'Wetlands store water during heavy rain and release it slowly, which helps to reduce flooding in the towns downstream. They also trap carbon in their soils and give shelter to birds, frogs and insects that have become rare in the valley. Within weeks of the ditches being blocked, snipe and teal were seen feeding in the shallow pools.',
      'The trust will monitor water levels and wildlife on the site for the next ten years. It hopes that other landowners along the river will follow the example, and it has set up a small fund to help farmers who are willing to take wet fields out of production.',
    ],
  },
];

/** English articles from other sites: blogs, guides, features. */
export const OTHER_ARTICLES: (Article & { host: string })[] = [
  {
    host: 'www.kitchenbench.net',
    path: '/guides/caring-for-cast-iron',
    title: 'How to care for a cast iron pan so that it lasts a lifetime',
    byline: 'Posted by Ruth Adeyemi',
    paragraphs: [
      'A good cast iron pan is one of the few things in a kitchen that gets better with age. The dark, slick surface that makes an old pan so pleasant to cook with is called seasoning, and it is nothing more than thin layers of oil that have been heated until they bond to the metal. Looking after a pan mostly means protecting that layer and adding to it.',
      'After cooking, let the pan cool a little and wash it with hot water and a brush. A small amount of washing-up liquid will not hurt a well-seasoned pan, whatever you may have heard, but you should never leave it to soak in the sink. Dry it straight away, then put it back on the hob for a minute so that the last of the water evaporates.',
      'While the pan is still warm, rub a few drops of neutral oil over the inside with a paper towel, and then wipe off as much as you can. It should look dry rather than greasy. Too much oil turns sticky, and a sticky pan collects dust and smells stale after a few days in the cupboard.',
      'If a pan has rusted, do not throw it away. Scrub the rust off with steel wool, wash and dry the pan, coat it thinly with oil and bake it upside down in a hot oven for an hour. Repeat this two or three times and the pan will be ready to use again. Many of the best pans in use today were rescued from a garage or a junk shop in exactly this way.',
    ],
    junkLines: ['312 shares', 'Read more...'],
  },
  {
    host: 'www.kitchenbench.net',
    path: '/recipes/sourdough-basics',
    title: 'Sourdough bread for beginners: a slow loaf that fits around your day',
    byline: 'Posted by Ruth Adeyemi',
    paragraphs: [
      'Sourdough has a reputation for being difficult, but most of the work is done by time rather than by the baker. The starter, a mixture of flour and water that has been colonised by wild yeasts and bacteria, does the rising. Your job is to keep it fed, to mix the dough, and to fold it a few times while it proofs.',
      'To make a starter, stir together fifty grams of wholemeal flour and fifty grams of water in a clean jar and leave it at room temperature. Every day, throw away half of it and feed it with the same amounts of flour and water. After about a week it should double in size within a few hours of feeding and smell pleasantly sour, a little like yoghurt.',
      'For a single loaf, mix one hundred grams of active starter with three hundred and fifty grams of water and five hundred grams of strong white flour, then leave it to rest for half an hour before adding ten grams of salt. Over the next three hours, stretch and fold the dough every thirty minutes. It will become smoother and more elastic each time.',
      'Shape the dough into a round, put it in a floured bowl and leave it in the fridge overnight. The next morning, bake it in a very hot covered pot for twenty minutes, then remove the lid and bake for another twenty until the crust is a deep brown. Let it cool for at least an hour before slicing, because the inside is still cooking as it cools.',
    ],
  },
  {
    host: 'trailnotes.blog',
    path: '/2023/01/ridgeway-loop-in-winter',
    title: 'Walking the Ridgeway loop in winter',
    paragraphs: [
      'The Ridgeway loop is a fourteen-kilometre circuit that climbs from the village car park to the chalk ridge above the valley and returns through beech woods and sheep pasture. In summer it is busy with families and runners, but on a clear January morning we had the ridge almost to ourselves, apart from a few dog walkers and a pair of red kites circling over the fields.',
      'The first climb is the hardest part of the walk. The path is steep and, after rain, the chalk is slippery, so boots with a good grip are worth wearing. Once you reach the top, the going is easy for several kilometres, and the views stretch across three counties on a clear day. There is an old hill fort about halfway along where you can shelter from the wind to eat lunch.',
      'The return leg drops down through the woods, where the path can be muddy even in dry weather. In winter the bare trees let in plenty of light, and we saw deer twice within a few minutes. The last stretch follows a quiet lane back to the village, where the pub by the church serves soup and sandwiches to walkers until three in the afternoon.',
      'Allow about four hours for the whole loop, more if you stop often for photographs. There are no toilets or water taps along the way, so bring what you need, and check the weather before setting out, because the ridge is exposed and it can be much colder at the top than in the village.',
    ],
  },
  {
    host: 'www.fieldandhive.org',
    path: '/articles/how-honeybees-share-directions',
    title: 'How honeybees tell each other where the flowers are',
    paragraphs: [
      'A honeybee that finds a rich patch of flowers does not keep the news to herself. Back in the hive, she performs a short, repeated movement on the surface of the comb that the other workers can read like a map. Scientists call it the waggle dance, and it was first described in detail by the Austrian biologist Karl von Frisch in the middle of the twentieth century.',
      'During the dance the bee runs forward in a straight line while shaking her body from side to side, then circles back to the start and repeats the run. The angle of the straight run compared with the vertical tells the other bees the direction of the food compared with the sun. The length of the waggle run tells them how far away it is.',
      'What makes this remarkable is that the dance takes place in the dark, on a vertical sheet of wax. The bees that follow the dancer feel her movements and pick up the scent of the flowers she has visited. Experiments have shown that recruits who follow a dance find the food much faster than bees that search on their own.',
      'The dance is not perfectly precise, and bees make small errors in both direction and distance. Some researchers think that this scatter is useful, because it spreads the recruits over a wider area and helps the colony to find all the flowers in a patch rather than crowding onto the same few blossoms.',
    ],
  },
  {
    host: 'www.harbourlights-history.org',
    path: '/stories/the-lens-that-lit-the-coast',
    title: 'The lens that lit the coast: how Fresnel changed lighthouses',
    paragraphs: [
      'For most of their history, lighthouses were not very bright. Early towers burned wood or coal in an open fire, and later ones used oil lamps with polished metal reflectors behind them. Much of the light was lost, and on a hazy night a ship might not see the warning until it was already too close to the rocks.',
      'In the 1820s the French engineer Augustin Fresnel designed a new kind of lens made from rings of glass prisms arranged around a central lamp. Each ring bent the light so that it left the lens in a narrow horizontal beam. A Fresnel lens was far lighter and thinner than a solid lens of the same power, and it could gather most of the light that the lamp produced.',
      'The results were dramatic. A lighthouse fitted with one of the new lenses could be seen more than twenty miles out to sea, and by rotating the lens, keepers could give each light its own pattern of flashes so that sailors could tell one headland from another. Within a few decades the design had spread to lighthouses around the world.',
      'Many of the original lenses are still in place today, although most lights are now automatic and powered by electricity. Some of the largest lenses stand taller than a person and contain more than a thousand pieces of hand-ground glass, and a few have been moved to museums, where visitors can walk around them and see how the prisms catch the light.',
    ],
  },
  {
    host: 'www.plainmoney.co.uk',
    path: '/saving/emergency-fund-step-by-step',
    title: 'Building an emergency fund, one small step at a time',
    paragraphs: [
      'An emergency fund is money set aside for the expenses that nobody plans for: a broken boiler, a car repair, a few weeks without work. Having it means that a bad month does not have to turn into debt, and many people find that simply knowing the money is there makes everyday worries easier to carry.',
      'The usual advice is to save enough to cover three to six months of essential spending, but that can feel impossible when you are starting from nothing. It is better to begin with a smaller goal, such as enough to cover one unexpected bill, and to build from there. Even a modest amount can stop a small problem from becoming a large one.',
      'The easiest way to save is to make it automatic. Set up a standing order that moves a fixed amount into a separate account on the day you are paid, before you have the chance to spend it. Choose an account that pays some interest and that you can reach within a day or two, but that is not linked to the card you use for shopping.',
      'When you do use the fund, do not feel guilty. That is what it is for. Simply start topping it up again once the emergency has passed, and review the target once a year, because your essential costs will change as your rent, your family and your job change.',
    ],
    junkLines: ['Sign up for our weekly newsletter', '9 comments'],
  },
  {
    host: 'www.circuitnotes.io',
    path: '/explainers/why-phone-batteries-wear-out',
    title: 'Why your phone battery wears out, and how to slow it down',
    paragraphs: [
      'The lithium-ion battery in a phone is a small chemical factory. Each time it charges and discharges, lithium ions move back and forth between two electrodes, and each cycle leaves behind a tiny amount of damage. Over hundreds of cycles, the battery loses some of its ability to hold charge, which is why a two-year-old phone rarely lasts as long as it did when it was new.',
      'Heat is the biggest enemy. A battery that spends a lot of time hot, for example on a car dashboard in summer or under a pillow while it charges, will age much faster than one kept at room temperature. Charging very quickly also produces heat, which is one reason why many phones slow down their charging when the battery is nearly full.',
      'Keeping a battery at one hundred percent for long periods is also hard on it, and so is running it all the way down to zero. Batteries are happiest somewhere in the middle. Many phones now have a setting that holds the charge at around eighty percent overnight and finishes charging just before you usually wake up.',
      'None of this means you need to worry about every charge. A phone is a tool, and it is there to be used. But avoiding heat, not leaving the phone on the charger all day, and letting the software manage overnight charging can add many months to the useful life of the battery.',
    ],
  },
  {
    host: 'www.walkwell.org',
    path: '/health/the-quiet-benefits-of-walking',
    title: 'The quiet benefits of a daily walk',
    paragraphs: [
      'Walking is easy to overlook as exercise because it is something we do every day without thinking. Yet a brisk walk of thirty minutes, most days of the week, is linked with lower blood pressure, better sleep and a reduced risk of heart disease, and it has none of the cost or equipment of a gym membership.',
      'The benefits are not only physical. Many people find that a walk helps them to think more clearly, and studies have found that even a short walk outdoors can lift mood and reduce feelings of stress. Walking with a friend adds the benefit of conversation, and walking alone can be a rare chance to be quiet.',
      'If you are not used to regular exercise, start with a distance that feels comfortable and add a few minutes each week. Good shoes matter more than special clothing. Try to include some hills or stairs when you can, and vary the route so that the walk stays interesting.',
      'It helps to tie the walk to something you already do: walking to the shops instead of driving, getting off the bus one stop early, or taking a turn around the park after lunch. Habits that fit into an ordinary day are the ones most likely to last.',
    ],
  },
  {
    host: 'skywatchers-almanac.com',
    path: '/guides/watching-the-perseids',
    title: 'A beginner\'s guide to watching a meteor shower',
    paragraphs: [
      'Meteor showers happen when the Earth passes through a trail of dust left behind by a comet. The tiny grains hit the upper atmosphere at tremendous speed and burn up, leaving the brief streaks of light that people call shooting stars. Because the Earth crosses the same trails at the same time each year, the showers are predictable.',
      'You do not need a telescope or binoculars to enjoy a meteor shower. In fact they make it harder, because they narrow your view to a small patch of sky. All you need is a dark place away from street lights, a clear night, and some patience. A reclining chair or a blanket on the ground will save your neck.',
      'Give your eyes at least twenty minutes to adjust to the dark, and avoid looking at your phone, because its bright screen will undo the adjustment in seconds. The best views usually come after midnight, when your side of the Earth is facing into the stream of dust.',
      'On a good night, in a dark place, you might see a meteor every minute or two. Some will be faint and quick, while a few will be bright enough to leave a glowing trail that lasts for a second or more. Dress warmly, bring something hot to drink, and treat it as a chance to spend an hour looking up.',
    ],
  },
];

/** The same Gazette story, lightly rewritten by an aggregator: near-duplicate (MinHash). */
export const NEAR_DUPLICATE: Article & { host: string } = {
  host: 'www.valleynewsroundup.com',
  path: '/local/mill-street-garden-back-in-bloom',
  title: 'Mill Street community garden back after flood repairs',
  byline: 'Staff report',
  paragraphs: [
    'The community garden on Mill Street opened its gates again on Saturday, two years after a burst water main flooded the plots and washed away most of the topsoil. About sixty residents came to the reopening, many of them carrying seed trays and folding chairs, and the queue for the new tool shed stretched past the bakery on the corner.',
    'The repairs were paid for by a mix of council money and small donations. Volunteers rebuilt the raised beds with reclaimed timber from the old railway depot, laid new drainage under the paths, and planted a hedge of hawthorn and hazel along the northern fence to shelter the beds from the wind that comes off the river in spring.',
    '"We lost almost everything in the flood, and for a while it felt like the garden might not come back," said Margaret Ellis, who has tended a plot there since 1998. "What brought it back was people turning up every Sunday with a wheelbarrow. Nobody was paid to do this. It was just neighbours who wanted somewhere to grow beans."',
    'There are now forty-two plots, eight of them raised to wheelchair height, and a shared herb bed near the entrance that anyone may pick from. The garden committee says the waiting list already has more than thirty names on it, and it is talking to the primary school about a plot that classes could use during the summer term.',
    'The garden is open every day from eight in the morning until dusk. A seed swap is planned for the first weekend of March.',
  ],
};

/** Non-English pages (language ID keeps English only by default). */
export const FOREIGN: (Article & { host: string; lang: string })[] = [
  {
    host: 'www.tagesblatt-am-fluss.de',
    lang: 'de',
    path: '/lokales/2023/stadtbibliothek-saatgut',
    title: 'Stadtbibliothek verleiht jetzt auch Saatgut',
    paragraphs: [
      'Die Stadtbibliothek hat seit dieser Woche ein ungewöhnliches Angebot: Neben Büchern und Filmen können sich Leserinnen und Leser nun auch Saatgut ausleihen. In einem alten Karteikasten im Erdgeschoss liegen kleine Tüten mit Bohnen, Tomaten, Kräutern und Wildblumen, die man kostenlos mitnehmen darf.',
      'Die Idee ist einfach. Wer im Frühjahr Samen mitnimmt, soll im Herbst einen Teil der Samen aus der eigenen Ernte zurückbringen, damit der Kasten im nächsten Jahr wieder gefüllt ist. So entstehe mit der Zeit eine Sammlung von Sorten, die gut an das Klima im Tal angepasst sind, sagt die Leiterin der Bibliothek.',
      'Zum Start gab es einen Vortrag eines örtlichen Gärtners, der erklärte, wie man Samen richtig trocknet und lagert. Mehr als vierzig Menschen kamen, viele von ihnen brachten eigene Samen mit, die sie seit Jahren im Garten vermehren.',
    ],
  },
  {
    host: 'www.wanderlust-nord.de',
    lang: 'de',
    path: '/touren/winterwanderung-am-deich',
    title: 'Winterwanderung am Deich: zwölf Kilometer Weite',
    paragraphs: [
      'Wer im Winter Ruhe sucht, findet sie am Deich. Die Rundtour beginnt am kleinen Hafen und führt zunächst zwölf Kilometer auf der Deichkrone entlang, mit dem Watt auf der einen und den Wiesen auf der anderen Seite. Bei klarem Wetter reicht der Blick bis zu den Inseln.',
      'Unterwegs begegnet man vor allem Schafen und Vögeln. Im Januar rasten hier tausende Gänse, die in großen Schwärmen über die Felder ziehen. Ein Fernglas lohnt sich. Der Wind kann allerdings kräftig sein, deshalb sollte man eine warme Mütze und eine winddichte Jacke einpacken.',
    ],
  },
  {
    host: 'www.lejournaldelavallee.fr',
    lang: 'fr',
    path: '/actualites/2023/01/marche-de-producteurs',
    title: 'Le marché de producteurs s\'installe sur la place de l\'église',
    paragraphs: [
      'Depuis samedi, un nouveau marché de producteurs se tient chaque semaine sur la place de l\'église. Une quinzaine d\'exposants, tous installés à moins de trente kilomètres, proposent des légumes, du fromage, du miel, du pain et de la viande. Malgré le froid, les habitants sont venus nombreux dès l\'ouverture.',
      'L\'idée est née d\'un groupe de jeunes agriculteurs qui cherchaient un moyen de vendre directement leurs produits sans passer par les grandes surfaces. La mairie a accepté de prêter la place gratuitement pendant la première année, à condition que le marché reste ouvert à tous les producteurs de la région.',
      'Pour les clients, l\'intérêt est double : des produits frais et de saison, et la possibilité de parler avec ceux qui les cultivent. Plusieurs commerçants du centre-ville espèrent aussi que le marché attirera du monde dans les rues voisines le samedi matin.',
    ],
  },
  {
    host: 'www.cuisine-de-saison.fr',
    lang: 'fr',
    path: '/recettes/soupe-de-potiron',
    title: 'Une soupe de potiron simple et réconfortante',
    paragraphs: [
      'En hiver, rien ne vaut une soupe de potiron bien chaude. Coupez un kilo de potiron en morceaux, ajoutez un oignon, une pomme de terre et un peu de bouillon, puis laissez cuire doucement pendant une demi-heure.',
      'Mixez le tout, salez, poivrez et ajoutez une cuillère de crème fraîche au moment de servir. Quelques graines de courge grillées apportent du croquant, et une pincée de muscade relève le goût sans le masquer.',
    ],
  },
  {
    host: 'www.diariodelrio.es',
    lang: 'es',
    path: '/sociedad/2023/01/biblioteca-movil-pueblos',
    title: 'La biblioteca móvil vuelve a recorrer los pueblos de la sierra',
    paragraphs: [
      'Después de dos años de ausencia, la biblioteca móvil ha vuelto a recorrer los pueblos más pequeños de la sierra. El autobús, pintado de azul y cargado con más de tres mil libros, se detiene cada quince días en la plaza de cada localidad, donde los vecinos pueden devolver y llevarse libros, revistas y películas.',
      'Para muchas personas mayores, la visita del autobús es también una ocasión para charlar y tomar un café con los vecinos. La bibliotecaria conoce a casi todos sus lectores por su nombre y suele guardar para ellos las novedades que sabe que les van a gustar.',
      'El ayuntamiento ha anunciado que el próximo año la biblioteca móvil ofrecerá también talleres de lectura para niños y cursos básicos de informática para adultos.',
    ],
  },
  {
    host: 'www.rutasyviajes.es',
    lang: 'es',
    path: '/destinos/un-paseo-por-el-casco-antiguo',
    title: 'Un paseo tranquilo por el casco antiguo',
    paragraphs: [
      'El casco antiguo se recorre fácilmente a pie en una mañana. Las calles estrechas suben desde el río hasta la catedral, y por el camino hay pequeñas plazas con fuentes, tiendas de artesanía y cafeterías donde se puede descansar a la sombra.',
      'Conviene empezar temprano, antes de que lleguen los grupos de turistas, y terminar en el mirador junto a la muralla, desde donde se ve todo el valle. Al atardecer la piedra de los edificios toma un color dorado que merece la pena fotografiar.',
    ],
  },
  {
    host: 'www.novosti-doliny.ru',
    lang: 'ru',
    path: '/gorod/2023/01/novyj-park',
    title: 'В городе открылся новый парк у реки',
    paragraphs: [
      'В субботу на берегу реки открылся новый городской парк. На месте заброшенных складов появились дорожки для прогулок, детская площадка, спортивное поле и небольшая пристань для лодок. На открытие пришли сотни жителей, несмотря на холодную погоду.',
      'Работы продолжались почти три года. Архитекторы постарались сохранить старые деревья и часть кирпичных стен складов, которые теперь служат фоном для летних концертов. Вдоль воды высадили ивы и кустарники, чтобы укрепить берег.',
      'Администрация города обещает, что летом в парке будут работать прокат велосипедов и кафе, а по выходным здесь будут проходить ярмарки местных мастеров.',
    ],
  },
  {
    host: 'www.tabi-nikki.jp',
    lang: 'ja',
    path: '/kiji/2023/01/yuki-no-onsen',
    title: '雪の温泉町を歩く',
    paragraphs: [
      '冬の温泉町は、夏とはまったく違う表情を見せる。駅を降りると、屋根にも道にも雪が積もり、あちこちから湯気が立ちのぼっていた。川沿いの道を歩くと、古い旅館や土産物屋が静かに並んでいる。',
      '町には七つの外湯があり、浴衣姿で湯めぐりをする人が多い。どの湯も小さくて素朴だが、それぞれ泉質が少しずつ違うのが面白い。雪を眺めながら露天風呂につかると、体の芯まで温まった。',
      '夕方になると、通りの灯りがともり、雪の上にやわらかな光が落ちる。地元の人に教えてもらった小さな食堂で、名物のそばを食べて一日を終えた。',
    ],
  },
];

/** A Japanese page served in Shift_JIS (charset only in its <meta>). */
export const SHIFT_JIS_PAGE: Article & { host: string } = {
  host: 'www.machi-dayori.jp',
  path: '/news/2023/toshokan',
  title: '図書館に新しい読書室ができました',
  paragraphs: [
    '市立図書館の二階に、新しい読書室ができました。大きな窓から川が見える明るい部屋で、静かに本を読んだり勉強したりすることができます。',
    '読書室は毎日午前九時から午後八時まで利用できます。予約は必要ありませんが、席の数には限りがありますので、ご了承ください。',
  ],
};

/** An English page served in windows-1252 (curly quotes, dashes and the euro sign are single bytes). */
export const WINDOWS_1252_PAGE: Article & { host: string } = {
  host: 'www.oldtownchronicle.co.uk',
  path: '/features/the-last-cobbler-on-bridge-street',
  title: 'The last cobbler on Bridge Street',
  byline: 'By Eleanor Whitfield',
  paragraphs: [
    'Frank Doyle has been mending shoes in the same narrow shop on Bridge Street for forty-one years. When he started, there were four cobblers in the town centre; today he is the only one left, and the queue of boots, handbags and belts on his shelves suggests that the trade is not quite finished yet.',
    '“People think nobody repairs things any more,” he says, tapping a new heel onto a brown leather boot. “But a good pair of shoes costs a lot of money, and a new sole costs a fraction of that. I’ve got customers who’ve been bringing me the same shoes for twenty years.”',
    'A full resole costs about €45 at current prices, and a heel around a third of that. Frank also sharpens knives, cuts keys and, on busy Saturdays, gives advice to anyone who asks about looking after leather — which, he says, comes down to keeping it clean, dry and polished.',
    'He has no plans to retire. His granddaughter has started helping in the shop after school, and she has already learned to stitch a welt by hand. “She’s quicker than I was at her age,” Frank admits, “and she’s far better with the till.”',
  ],
};

/** Junk that the quality filters should remove. */
export const REPETITIVE_LINES = [
  'Cheap flights to the sun! Book now and save up to 70 percent!',
  'Best prices guaranteed on every holiday package.',
  'Click here for cheap flights to the sun!',
];

export const SHORT_PAGE = ['Coming soon.', 'Our new website is under construction. Please check back later.'];

export const BULLET_ITEMS = [
  'Free delivery on orders over fifty pounds',
  'Garden hose, thirty metres, green',
  'Pruning shears with a locking handle',
  'Bird feeder, hanging, with a metal roof',
  'Compost bin, three hundred litres',
  'Watering can, ten litres, galvanised steel',
  'Pack of twenty terracotta pots',
  'Kneeling pad made of recycled foam',
  'Leather gardening gloves, medium size',
  'Seed trays with clear lids, set of five',
  'Wheelbarrow with a puncture-proof tyre',
  'Bamboo canes, one metre, bundle of fifty',
];

/** A forum thread: real content drowned in counters and prompts (line-wise corrections drop it). */
export const FORUM_THREAD = {
  host: 'forum.bikeshed-community.net',
  path: '/t/how-do-i-fix-a-slow-puncture/4411',
  title: 'How do I fix a slow puncture?',
  posts: [
    ['wheelie_bin', 'My rear tyre goes flat over about two days. I cannot see anything stuck in it. Is it worth patching the tube or should I just buy a new one?'],
    ['spokesperson', 'Pump it up and put the tube in a bowl of water, then look for bubbles. Slow punctures are often a tiny thorn or a valve that does not seal properly.'],
    ['gravelgrinder', 'Also run your fingers carefully around the inside of the tyre. If the thorn is still in the tyre it will just puncture the new tube as well.'],
    ['wheelie_bin', 'Found it, a tiny bit of glass in the tread. Patched the tube and it has held air for a week now. Thanks everyone.'],
  ],
  counters: ['Reply', 'Quote', 'Sign in', '3 likes', '12 likes', 'Report', 'Share', '5 likes', 'Sign in to reply', '2 replies'],
};

/** The bike-lane story as a regional site rewrote it: a second near-duplicate. */
export const NEAR_DUPLICATE_2: Article & { host: string } = {
  host: 'www.countyherald.co.uk',
  path: '/news/bridge-road-bike-lanes-approved',
  title: 'Bridge road to get protected cycle lanes',
  byline: 'County Herald reporter',
  paragraphs: [
    'The town council voted seven to two on Tuesday night to build protected bike lanes along the bridge road, ending a debate that has filled the public gallery at every meeting since the autumn. Work is expected to begin in May and to take around four months, with one lane of traffic kept open in each direction while the kerbs are moved.',
    'Supporters of the plan pointed to the number of children who cycle to the secondary school across the river, and to two serious collisions on the bridge approach in the past three years. The new lanes will be separated from traffic by a low concrete kerb and planters, and the junction with Station Road will get its own signal phase for cyclists.',
    'Shop owners on the road were divided. Several worried that the loss of twelve parking spaces would drive customers to the retail park on the ring road, while others said that people on bicycles already make up a good share of their trade. The council agreed to add a short-stay loading bay and to review the effect on local businesses after a year.',
    'The scheme will cost a little over two million pounds, most of it from a regional transport grant that must be spent before the end of next year.',
  ],
};

/** Served as application/xhtml+xml. */
export const XHTML_ARTICLE: Article & { host: string } = {
  host: 'www.railwaysandroutes.org',
  path: '/features/night-trains-return.xhtml',
  title: 'The quiet return of the night train',
  paragraphs: [
    'Twenty years ago, most of the overnight trains that once crossed the continent had been withdrawn. Cheap flights had taken their passengers, and the old sleeping cars were expensive to run and to maintain. Today several new routes have opened, and some of them are sold out weeks in advance during the summer.',
    'Part of the reason is the wish to travel with a smaller carbon footprint, but many passengers simply like the experience. You board in the evening in the centre of one city, eat dinner, sleep, and wake up in the centre of another, without the queues and security checks of an airport on the edge of town.',
    'The operators still face real problems. Sleeping cars are costly to build, track access charges vary from one country to the next, and a delay in one place can upset a timetable across several borders. Even so, the people who run the new services say that demand has grown every year, and they are already planning more routes.',
  ],
};
