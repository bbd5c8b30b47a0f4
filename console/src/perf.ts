/** Performance entries the browser test reads: from the API's answer to the card's frame. */
export const API_ANSWER_MARK = 'verdict:lookup-answer';
export const CARD_RENDER_MEASURE = 'verdict:card-render';
